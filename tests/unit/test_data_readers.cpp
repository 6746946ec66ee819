// File readers: IDX (plain and gzipped, with bad headers and short data), .npy (round trip, files
// numpy wrote, and files numpy reads), and the built-in datasets' label counts from docs/DATA.md.
#include <zlib.h>

#include <chrono>
#include <fstream>

#include "core/error.h"
#include "core/sha256.h"
#include "data/idx.h"
#include "data/npy.h"
#include "data/sources.h"
#include "test_util.h"

using namespace sanity;

namespace {

// An unsigned-byte IDX file: magic 0x0800 | dims, big-endian sizes, then the data.
std::string idx_bytes(const std::vector<uint32_t>& dims, const std::vector<uint8_t>& data) {
  std::string b = {0, 0, 8, static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<char>((d >> s) & 0xff));
  b.append(data.begin(), data.end());
  return b;
}

void write_file(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

void write_gzip(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_TRUE(f);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(f);
}

std::vector<uint8_t> iota_bytes(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7 % 256);
  return v;
}

// Runs f and returns the InputError's message ("" and a test failure if it does not throw one).
template <class F>
std::string input_error(F f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an InputError";
  return "";
}

void expect_contains(const std::string& text, const std::vector<std::string>& pieces) {
  for (const auto& p : pieces) EXPECT_NE(text.find(p), std::string::npos) << "missing '" << p << "' in: " << text;
}

}  // namespace

TEST(Idx, PlainAndGzippedFilesReadTheSameValues) {
  const std::string dir = test::temp_dir("idx");
  const auto data = iota_bytes(2 * 3 * 4);
  const std::string bytes = idx_bytes({2, 3, 4}, data);
  write_file(dir + "/images", bytes);
  write_gzip(dir + "/images.gz", bytes);
  for (const char* name : {"/images", "/images.gz"}) {
    torch::Tensor t = read_idx_ubyte(dir + name, 3);
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 4})) << name;
    EXPECT_EQ(t.scalar_type(), torch::kUInt8);
    EXPECT_EQ(t[1][2][3].item<int>(), data[23]) << name;
    EXPECT_TRUE(torch::equal(t.flatten(), torch::tensor(std::vector<int64_t>(data.begin(), data.end())).to(torch::kUInt8)));
  }
  write_file(dir + "/labels", idx_bytes({5}, {0, 1, 2, 9, 4}));
  EXPECT_EQ(read_idx_ubyte(dir + "/labels", 1)[3].item<int>(), 9);
}

TEST(Idx, BadMagicNamesFileAndBothNumbers) {
  const std::string dir = test::temp_dir("idx-magic");
  std::string bytes = idx_bytes({2, 2, 2}, iota_bytes(8));
  bytes[2] = 0x0d;  // float data instead of unsigned bytes
  write_file(dir + "/f.idx", bytes);
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/f.idx", 3); }),
                  {dir + "/f.idx", "magic number 0x00000d03", "expected 0x00000803"});
  // A labels file read where images are expected: the dimension count in the magic differs.
  write_file(dir + "/labels", idx_bytes({4}, {1, 2, 3, 4}));
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/labels", 3); }), {"0x00000801", "expected 0x00000803"});
}

TEST(Idx, TruncatedHeaderAndDataAreReported) {
  const std::string dir = test::temp_dir("idx-short");
  const std::string bytes = idx_bytes({2, 3, 4}, iota_bytes(24));
  write_file(dir + "/short-data", bytes.substr(0, bytes.size() - 5));
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/short-data", 3); }),
                  {dir + "/short-data", "IDX data", "promises 24 bytes", "holds 19"});
  write_file(dir + "/long-data", bytes + "xx");
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/long-data", 3); }), {"runs past the 40 bytes its header declares"});
  // A gzip bomb (64 MiB of zeros after a 2-image header, about 64 KB gzipped): refused at the first
  // megabyte inflated, not after the whole stream (26 to 33 s for a 2 GiB one before).
  write_gzip(dir + "/bomb.gz", idx_bytes({2, 28, 28}, iota_bytes(2 * 28 * 28)) + std::string(size_t{64} << 20, '\0'));
  const auto start = std::chrono::steady_clock::now();
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/bomb.gz", 3); }), {"bomb.gz", "runs past the 1584 bytes"});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 0.5);
  write_file(dir + "/short-header", bytes.substr(0, 9));
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/short-header", 3); }),
                  {dir + "/short-header", "truncated dimension sizes"});
  write_file(dir + "/tiny", "ab");
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/tiny", 3); }), {"too short for a header"});
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/absent", 3); }), {dir + "/absent", "not found"});
}

TEST(Idx, TruncatedGzipStreamIsReported) {
  const std::string dir = test::temp_dir("idx-gz");
  // Incompressible data, so that cutting the .gz file in half cuts the stream, not just the trailer.
  std::vector<uint8_t> data(4000);
  uint32_t s = 1;
  for (auto& b : data) b = static_cast<uint8_t>((s = s * 1664525u + 1013904223u) >> 24);
  write_gzip(dir + "/full.gz", idx_bytes({4000}, data));
  std::ifstream in(dir + "/full.gz", std::ios::binary);
  const std::string gz((std::istreambuf_iterator<char>(in)), {});
  write_file(dir + "/cut.gz", gz.substr(0, gz.size() / 2));
  EXPECT_EQ(read_idx_ubyte(dir + "/full.gz", 1).size(0), 4000);
  expect_contains(input_error([&] { read_idx_ubyte(dir + "/cut.gz", 1); }), {dir + "/cut.gz"});
}

TEST(Npy, RoundTripKeepsDtypeShapeAndValues) {
  const std::string dir = test::temp_dir("npy");
  torch::manual_seed(0);
  const std::vector<torch::Tensor> cases = {
      torch::randn({2, 3, 4, 5}),
      torch::randn({7}, torch::kFloat64),
      torch::arange(-5, 7, torch::kInt64).reshape({3, 4}),
      torch::arange(0, 12, torch::kInt32),
      torch::randint(0, 256, {3, 3}, torch::kUInt8),
      torch::tensor({true, false, true}),
      torch::tensor(3.5f),                     // 0-d
      torch::randn({4, 6}).t(),                // not contiguous
      torch::zeros({0, 3}),                    // empty
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const std::string p = dir + "/" + std::to_string(i) + ".npy";
    write_npy(p, cases[i]);
    torch::Tensor back = read_npy(p);
    EXPECT_EQ(back.scalar_type(), cases[i].scalar_type()) << i;
    EXPECT_EQ(back.sizes(), cases[i].sizes()) << i;
    EXPECT_TRUE(torch::equal(back, cases[i])) << i;
  }
}

TEST(Npy, ReadsWhatNumpyWrote) {
  // tests/reference/npy_reference.py writes arange(24).reshape(2, 3, 4) in several dtypes and formats.
  const auto expected = torch::arange(24, torch::kFloat64).reshape({2, 3, 4});
  for (const char* name : {"f4", "f8", "i8", "i4", "u1", "f4_v2", "f4_noncontig"}) {
    torch::Tensor t = test::load_ref(std::string("npy/") + name + ".npy");
    ASSERT_TRUE(t.defined()) << name;
    EXPECT_EQ(t.sizes(), expected.sizes()) << name;
    EXPECT_TRUE(torch::equal(t.to(torch::kFloat64), expected)) << name;
  }
  EXPECT_EQ(test::load_ref("npy/f4.npy").scalar_type(), torch::kFloat32);
  EXPECT_EQ(test::load_ref("npy/f8.npy").scalar_type(), torch::kFloat64);
  EXPECT_EQ(test::load_ref("npy/i8.npy").scalar_type(), torch::kInt64);
  EXPECT_EQ(test::load_ref("npy/u1.npy").scalar_type(), torch::kUInt8);
  // Layouts sanity does not read give one clear error each.
  expect_contains(input_error([] { read_npy(test::ref_path("npy/fortran.npy")); }), {"fortran.npy", "fortran_order"});
  expect_contains(input_error([] { read_npy(test::ref_path("npy/big_endian.npy")); }), {"big_endian.npy", "'>f4'"});
}

TEST(Npy, NumpyReadsWhatWeWrote) {
  const std::string dir = test::temp_dir("npy-numpy");
  write_npy(dir + "/a.npy", torch::arange(24, torch::kFloat32).reshape({2, 3, 4}) * 0.5);
  write_npy(dir + "/b.npy", torch::arange(6, torch::kInt64).reshape({2, 3}));
  auto r = test::run_command(std::string(SANITY_PYTHON) + " -c \"import numpy as np; a = np.load('" + dir +
                             "/a.npy'); b = np.load('" + dir +
                             "/b.npy'); print(a.dtype, a.shape, a[1, 2, 3], b.dtype, b.shape, b.sum())\"");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "float32 (2, 3, 4) 11.5 int64 (2, 3) 15\n");
}

TEST(Npy, BadFilesNameTheProblem) {
  const std::string dir = test::temp_dir("npy-bad");
  write_file(dir + "/text.npy", "hello world, not numpy");
  expect_contains(input_error([&] { read_npy(dir + "/text.npy"); }), {dir + "/text.npy", "magic"});
  write_npy(dir + "/ok.npy", torch::arange(100, torch::kFloat32));
  std::ifstream in(dir + "/ok.npy", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_file(dir + "/cut.npy", bytes.substr(0, bytes.size() - 10));
  expect_contains(input_error([&] { read_npy(dir + "/cut.npy"); }), {dir + "/cut.npy", "truncated"});
  expect_contains(input_error([&] { read_npy(dir + "/absent.npy"); }), {dir + "/absent.npy", "cannot open"});
}

TEST(BuiltinDatasets, MnistLabelCountsMatchDataMd) {
  Dataset test_set = load_builtin_dataset("mnist", "test", "");
  ASSERT_EQ(test_set.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_EQ(test_set.labels.bincount().equal(torch::tensor({980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009})),
            true);
  EXPECT_FLOAT_EQ(test_set.images.min().item<float>(), 0.0f);
  EXPECT_FLOAT_EQ(test_set.images.max().item<float>(), 1.0f);
  Dataset train = load_builtin_dataset("mnist", "train", "");
  EXPECT_TRUE(train.labels.bincount().equal(
      torch::tensor({5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949})));
}

TEST(BuiltinDatasets, FashionMnistFromGzippedIdx) {
  Dataset d = load_builtin_dataset("fashion-mnist", "test", "");
  ASSERT_EQ(d.images.sizes(), (std::vector<int64_t>{10000, 1, 28, 28}));
  EXPECT_TRUE(d.labels.bincount().equal(torch::full({10}, 1000, torch::kInt64)));
  EXPECT_EQ(d.class_names.at(9), "Ankle boot");
}

// The checksums of downloaded data and saved maps: FIPS 180-2's test vectors, and a file read in
// blocks (2^20 + 3 bytes, past the 64 KiB buffer) equal to the same bytes hashed at once.
TEST(Sha256, KnownVectorsAndFilesReadInBlocks) {
  EXPECT_EQ(sanity::sha256_bytes(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sanity::sha256_bytes("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sanity::sha256_bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  std::string big((1 << 20) + 3, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 2654435761u) >> 13);
  const std::string path = test::temp_dir("sha256") + "/big.bin";
  std::ofstream(path, std::ios::binary).write(big.data(), static_cast<std::streamsize>(big.size()));
  EXPECT_EQ(sanity::sha256_file(path), sanity::sha256_bytes(big));
  EXPECT_EQ(sanity::sha256_bytes(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
