# Reference fixtures (python3-torch writes reference files at test time) and the test programs that
# need them: sanity_reference_fixture(<name> <script.py> [args]) then
# set(fixtures_<test program> ref_<name> ...).

# Modified backprop (LRP family): a small CNN with python3-torch autograd-hook references.
sanity_reference_fixture(lrp_reference lrp_reference.py)
set(fixtures_test_lrp_reference ref_lrp_reference)
