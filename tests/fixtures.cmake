# Reference fixtures (python3-torch writes reference files at test time) and the test programs that
# need them: sanity_reference_fixture(<name> <script.py> [args]) then
# set(fixtures_<test program> ref_<name> ...).

# torchvision VGG-16, ResNet-50, Inception v3, MobileNetV2, DenseNet-121 (random weights) as ONNX at
# opsets 11 and 17, with PyTorch's logits and input gradients.
sanity_reference_fixture(torchvision torchvision_reference.py)
set(fixtures_test_models_onnx ref_torchvision)

# .npy files written by numpy, for the .npy reader.
sanity_reference_fixture(npy npy_reference.py)
set(fixtures_test_data_readers ref_npy)
