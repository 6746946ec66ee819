# Reference fixtures (python3-torch writes reference files at test time) and the test programs that
# need them: sanity_reference_fixture(<name> <script.py> [args]) then
# set(fixtures_<test program> ref_<name> ...).

# Similarity metrics against scipy.stats and skimage (SSIM, HOG).
sanity_reference_fixture(metrics metrics_reference.py)
set(fixtures_test_metrics_reference ref_metrics)
