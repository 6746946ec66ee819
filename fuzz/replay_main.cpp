// A libFuzzer-free driver for the fuzz targets, so that ctest can smoke-test them with the normal
// (GCC) build: runs every file of a corpus folder, then `mutations` seeded mutations of them (byte
// flips, interesting values, deletions, duplications, truncations). A crash, a sanitizer report or
// an exception other than the targets' InputError / UnsupportedError fails the run.
//   fuzz_replay_npy fuzz/corpus/npy 2000
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

std::string mutate(std::string s, std::mt19937_64& rng) {
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    const size_t n = s.size();
    switch (rng() % 6) {
      case 0:  // flip a bit
        if (n) s[rng() % n] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1: {  // an interesting byte
        static const unsigned char values[] = {0, 1, 0x7f, 0x80, 0xff, '(', ')', ',', '=', '"', '{', '}', '[', ']', '-'};
        if (n) s[rng() % n] = static_cast<char>(values[rng() % sizeof values]);
        break;
      }
      case 2:  // delete a range
        if (n) {
          const size_t at = rng() % n;
          s.erase(at, 1 + rng() % std::min<size_t>(16, n - at));
        }
        break;
      case 3:  // duplicate a range
        if (n) {
          const size_t at = rng() % n, len = 1 + rng() % std::min<size_t>(16, n - at);
          s.insert(rng() % (n + 1), s.substr(at, len));
        }
        break;
      case 4:  // truncate
        s.resize(n ? rng() % n : 0);
        break;
      default: {  // a random 32-bit little-endian number (header fields, dims)
        if (n >= 4) {
          const uint32_t v = static_cast<uint32_t>(rng());
          const size_t at = rng() % (n - 3);
          for (int b = 0; b < 4; ++b) s[at + b] = static_cast<char>((v >> (8 * b)) & 0xff);
        }
      }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR MUTATIONS\n", argv[0]);
    return 2;
  }
  std::vector<std::string> corpus;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    std::ifstream in(e.path(), std::ios::binary);
    corpus.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (corpus.empty()) {
    std::fprintf(stderr, "%s: empty corpus\n", argv[1]);
    return 2;
  }
  auto run = [](const std::string& s) { LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size()); };
  for (const auto& s : corpus) run(s);
  std::mt19937_64 rng(0);
  const long mutations = std::stol(argv[2]);
  for (long i = 0; i < mutations; ++i) run(mutate(corpus[rng() % corpus.size()], rng));
  std::printf("%zu corpus inputs and %ld mutations ran without a crash\n", corpus.size(), mutations);
  return 0;
}
