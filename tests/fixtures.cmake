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
# Every torchvision classification family (random weights) at opsets 14 and 20 and by the dynamo
# exporter, dynamic batch: one test per family exports it, runs its cases of test_models_families and
# deletes its files (tests/run_family.cmake), so that the 6 GB of exports never lie on disk together.
# Keep in step with FAMILIES in torchvision_families.py. The transformer references and tests read
# four families' opset-20 files: those stay, and their tests are fixtures.
set(SANITY_DRIVEN_TESTS test_models_families)
set(transformer_families inception_v3 densenet121 vit_b_16 swin_t)
foreach(family alexnet convnext_tiny densenet121 efficientnet_b0 efficientnet_v2_s googlenet inception_v3 mnasnet0_5
               mobilenet_v2 mobilenet_v3_small regnet_x_400mf regnet_y_400mf resnet18 resnext50_32x4d
               shufflenet_v2_x0_5 squeezenet1_1 swin_t vgg11_bn vit_b_16 wide_resnet50_2)
  set(keep "")
  if(family IN_LIST transformer_families)
    set(keep op20)
  endif()
  add_test(NAME family_${family}
           COMMAND ${CMAKE_COMMAND} -DPYTHON=${SANITY_PYTHON} -DSCRIPT=${PROJECT_SOURCE_DIR}/tests/reference/torchvision_families.py
                   -DREF_DIR=${SANITY_REF_DIR} -DTEST=$<TARGET_FILE:test_models_families> -DFAMILY=${family} -DKEEP=${keep}
                   -P ${CMAKE_CURRENT_SOURCE_DIR}/run_family.cmake)
  set_tests_properties(family_${family} PROPERTIES FIXTURES_SETUP family_${family} TIMEOUT 900
                       ENVIRONMENT "PYTHONHASHSEED=0;OMP_NUM_THREADS=2;OMP_WAIT_POLICY=passive")
endforeach()
# A briefly trained built-in ViT (2 epochs on 5000 images) and the transformer references: GradCAM by
# hooks on Inception v3, DenseNet-121 and ViT-B/16, AttnLRP and CP-LRP on ViT-B/16 and the trained ViT.
add_test(NAME ref_trained_vit COMMAND sanity train --model vit --subset 5000 --epochs 2 --batch-size 64 --lr 1e-3
         --lr-schedule constant --threads 2 --quiet --out ${SANITY_REF_DIR}/trained_vit)
set_tests_properties(ref_trained_vit PROPERTIES FIXTURES_SETUP ref_trained_vit TIMEOUT 900)
sanity_reference_fixture(transformer transformer_reference.py)
list(TRANSFORM transformer_families PREPEND family_ OUTPUT_VARIABLE transformer_fixtures)
set_tests_properties(ref_transformer PROPERTIES FIXTURES_REQUIRED "${transformer_fixtures};ref_trained_vit")
# One fixture per test program: gtest_discover_tests splits a list-valued property, so a program that
# needs several reference sets names the last one, whose own FIXTURES_REQUIRED pulls in the others.
set(fixtures_test_attribution_transformers ref_transformer)

# The hostile-input probe, every fifth case (scripts/probe.sh runs them all): one line and exit 2 or 3
# for each bad input, no crash, hang, silent or unclear outcome. Not in the lean build, whose sanity
# refuses the probe's image folders and PNG heatmaps before reading them.
if(SANITY_WITH_OPENCV)
  add_test(NAME probe_fast COMMAND ${SANITY_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/probe.py $<TARGET_FILE:sanity> --fast)
  set_tests_properties(probe_fast PROPERTIES TIMEOUT 600 ENVIRONMENT "OMP_NUM_THREADS=1;OMP_WAIT_POLICY=passive")
endif()
