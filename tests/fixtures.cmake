# Reference fixtures (PyTorch scripts write reference files at test time) and the test programs that
# need them: sanity_reference_fixture(<name> <script.py> [args]) then
# set(fixtures_<test program> ref_<name> ...).

# Similarity metrics against scipy.stats and skimage (SSIM, HOG).
sanity_reference_fixture(metrics metrics_reference.py)
set(fixtures_test_metrics_reference ref_metrics)
# Modified backprop (LRP family): a small CNN with PyTorch autograd-hook references.
sanity_reference_fixture(lrp_reference lrp_reference.py)
set(fixtures_test_lrp_reference ref_lrp_reference)

# A briefly trained MNIST CNN (1 epoch on 2000 images, about 90 % test accuracy) for the CSC tests.
add_test(NAME ref_trained_cnn COMMAND sanity train --model cnn --subset 2000 --epochs 1 --batch-size 64 --lr 1e-3
         --lr-schedule constant --threads 2 --quiet
         --out ${SANITY_REF_DIR}/trained_cnn)
set_tests_properties(ref_trained_cnn PROPERTIES FIXTURES_SETUP ref_trained_cnn TIMEOUT 900)
set(fixtures_test_metrics_csc ref_trained_cnn)

# VGG-16, ResNet-50, Inception v3, DenseNet-121 with random weights, exported once.
sanity_reference_fixture(lrp_models lrp_models.py)
set(fixtures_test_lrp_imported_models ref_lrp_models)
# torchvision VGG-16, ResNet-50, Inception v3, MobileNetV2, DenseNet-121 (random weights) as ONNX at
# opsets 11 and 17, with PyTorch's logits and input gradients.
sanity_reference_fixture(torchvision torchvision_reference.py)
set(fixtures_test_models_onnx ref_torchvision)

# .npy files written by numpy, for the .npy reader.
sanity_reference_fixture(npy npy_reference.py)
set(fixtures_test_data_readers ref_npy)
# Attribution methods against PyTorch (MNIST CNN, ResNet-50, VGG-16 with random weights).
sanity_reference_fixture(attribution attribution_reference.py)
set(fixtures_test_attribution_reference ref_attribution)
# Bootstrap intervals and the Wilcoxon signed-rank test against scipy.stats.
sanity_reference_fixture(stats stats_reference.py)
set(fixtures_test_stats ref_stats)
# Every torchvision classification family (random weights) at opsets 13 and 17, dynamic batch.
sanity_reference_fixture(families torchvision_families.py)
set(fixtures_test_models_families ref_families)
set_tests_properties(ref_families PROPERTIES TIMEOUT 2400)
# A briefly trained built-in ViT (2 epochs on 5000 images) and the transformer references: GradCAM by
# hooks on Inception v3, DenseNet-121 and ViT-B/16, AttnLRP and CP-LRP on ViT-B/16 and the trained ViT.
add_test(NAME ref_trained_vit COMMAND sanity train --model vit --subset 5000 --epochs 2 --batch-size 64 --lr 1e-3
         --lr-schedule constant --threads 2 --quiet --out ${SANITY_REF_DIR}/trained_vit)
set_tests_properties(ref_trained_vit PROPERTIES FIXTURES_SETUP ref_trained_vit TIMEOUT 900)
sanity_reference_fixture(transformer transformer_reference.py)
set_tests_properties(ref_transformer PROPERTIES FIXTURES_REQUIRED "ref_families;ref_trained_vit")
# One fixture per test program: gtest_discover_tests splits a list-valued property, so a program that
# needs several reference sets names the last one, whose own FIXTURES_REQUIRED pulls in the others.
set(fixtures_test_attribution_transformers ref_transformer)
