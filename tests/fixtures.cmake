# Reference fixtures (python3-torch writes reference files at test time) and the test programs that
# need them: sanity_reference_fixture(<name> <script.py> [args]) then
# set(fixtures_<test program> ref_<name> ...).
