# Reference fixtures (python3-torch writes reference files at test time) and the test programs that
# need them: sanity_reference_fixture(<name> <script.py> [args]) then
# set(fixtures_<test program> ref_<name> ...).

# Attribution methods against python3-torch (MNIST CNN, ResNet-50, VGG-16 with random weights).
sanity_reference_fixture(attribution attribution_reference.py)
set(fixtures_test_attribution_reference ref_attribution)
