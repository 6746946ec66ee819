// Hostile but realistic input through the real `sanity` binary (and the library where a file cannot
// show it): results never go stale when inputs change, damaged stores say so and can be repaired,
// work is bounded, one writer per study, and every bad input is one line with exit 2 (3: unsupported).
#include <onnx/onnx_pb.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>
#include <tuple>

#include "attribution/method.h"
#include "core/files.h"
#include "data/idx.h"
#include "data/npy.h"
#include "models/builtin.h"
#include "models/layers.h"
#include "models/model_io.h"
#include "results/checked_npy.h"
#include "results/store.h"
#include "study/merge.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;

namespace {

void expect_one_line_error(const test::CommandResult& r, int exit_code, const std::vector<std::string>& pieces) {
  EXPECT_EQ(r.exit_code, exit_code) << r.output;
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_EQ(r.output.rfind("error: ", 0), 0u) << r.output;
  for (const auto& p : pieces) EXPECT_NE(r.output.find(p), std::string::npos) << "missing '" << p << "' in: " << r.output;
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A small study: the untrained built-in CNN as ONNX and four images.
struct Fixture {
  std::string dir, model, images;
};

Fixture make_fixture(const std::string& name, uint64_t seed = 1) {
  Fixture f{test::temp_dir(name), "", ""};
  f.model = f.dir + "/cnn.onnx";
  f.images = f.dir + "/x.npy";
  save_onnx(build_cnn(7), f.model);
  torch::manual_seed(seed);
  write_npy(f.images, torch::rand({4, 1, 28, 28}));
  return f;
}

std::string check_args(const Fixture& f, const std::string& extra = "", const std::string& checks = "cascading") {
  return "check --model " + f.model + " --data " + f.images + " --count 0 --methods gradient --checks " + checks +
         " --metrics spearman_abs --threads 1 --quiet --out " + f.dir + "/study " + extra;
}

// Every measurement of a store as text (run ids included), in key order.
std::string dump(const std::string& db) {
  std::string s;
  ResultsStore store(db, /*read_only=*/true);
  for (const auto& r : store.rows())
    s += std::to_string(r.run) + r.check + std::to_string(r.stage) + r.method + r.metric + std::to_string(r.image) + ":" +
         std::to_string(r.value) + "\n";
  return s;
}

// stem + i, appended rather than "stem" + std::string&& (GCC 12 at -O3 reports a false
// -Wstringop-overflow inside libstdc++ for that operator; the library turns the warning off).
std::string numbered(const char* stem, int i) {
  std::string s(stem);
  s += std::to_string(i);
  return s;
}

// A model proto with `inputs` graph inputs [1, 1, 4, 4] and `outputs` outputs of Flatten or Identity.
void write_io_model(const std::string& path, int inputs, int outputs, bool four_d_output = false) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  for (int i = 0; i < inputs; ++i) {
    auto* in = g->add_input();
    in->set_name(numbered("x", i));
    auto* tt = in->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : {1, 1, 4, 4}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  for (int o = 0; o < outputs; ++o) {
    auto* n = g->add_node();
    n->set_name(numbered("n", o));
    n->set_op_type(four_d_output ? "Relu" : "Flatten");
    n->add_input("x0");
    n->add_output(numbered("y", o));
    g->add_output()->set_name(numbered("y", o));
  }
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&out));
}

// A .npy file with the header dictionary `header` and `data_bytes` bytes of zeros after it.
void write_npy_dict(const std::string& path, std::string header, size_t data_bytes) {
  header += std::string((64 - (10 + header.size() + 1) % 64) % 64, ' ') + "\n";
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8);
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  write_text(path, bytes + header + std::string(data_bytes, '\0'));
}

// A .npy file with a hand-written header and `data_bytes` bytes of zeros after it.
void write_npy_header(const std::string& path, const std::string& descr, const std::string& shape, size_t data_bytes) {
  write_npy_dict(path, "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data_bytes);
}

}  // namespace

// x [1, 1, 4, 4] -> Flatten -> MatMul by w [16, 3], w's bytes in the file `location` names (offset 8:
// a data file may hold several tensors) at `length` bytes.
static void write_external_model(const std::string& path, const std::string& location, int64_t length = 16 * 3 * 4) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(18);
  auto* g = m.mutable_graph();
  auto* tt = g->add_input()->mutable_type()->mutable_tensor_type();
  g->mutable_input(0)->set_name("x");
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 1, 4, 4}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* w = g->add_initializer();
  w->set_name("fc.weight");
  w->set_data_type(onnx::TensorProto::FLOAT);
  w->add_dims(16);
  w->add_dims(3);
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"location", location}, {"offset", "8"},
                                   {"length", std::to_string(length)}}) {
    auto* e = w->add_external_data();
    e->set_key(key);
    e->set_value(value);
  }
  auto* flat = g->add_node();
  flat->set_op_type("Flatten");
  flat->add_input("x");
  flat->add_output("f");
  auto* mm = g->add_node();
  mm->set_op_type("MatMul");
  mm->add_input("f");
  mm->add_input("fc.weight");
  mm->add_output("y");
  g->add_output()->set_name("y");
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&out));
}

TEST(Hardening, ReplacedDataOrRulesAreANewRunNeverStaleResults) {
  const Fixture f = make_fixture("hard-stale");
  const auto first = test::run_cli(check_args(f));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto again = test::run_cli(check_args(f));
  EXPECT_NE(again.output.find("0 units computed"), std::string::npos) << "unchanged inputs resume: " << again.output;
  // Other images at the same path: a new run, said so, and computed.
  torch::manual_seed(99);
  write_npy(f.images, torch::rand({4, 1, 28, 28}));
  const auto changed = test::run_cli(check_args(f));
  ASSERT_EQ(changed.exit_code, 0) << changed.output;
  EXPECT_NE(changed.output.find("run 2:"), std::string::npos) << changed.output;
  EXPECT_EQ(changed.output.find("0 units computed"), std::string::npos) << changed.output;
  EXPECT_NE(changed.output.find("differs in data"), std::string::npos) << changed.output;
  const auto runs = ResultsStore(f.dir + "/study/results.sqlite", true).runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_NE(runs[0].config.data.find("x.npy:4:seed0#"), std::string::npos) << "the count held, not the count asked";
  EXPECT_NE(runs[0].config.data, runs[1].config.data);
  // A third version of the images: one note, against the latest run, counting the one before.
  torch::manual_seed(100);
  write_npy(f.images, torch::rand({4, 1, 28, 28}));
  const auto third = test::run_cli(check_args(f));
  ASSERT_EQ(third.exit_code, 0) << third.output;
  EXPECT_EQ(test::count_lines(third.output), 2) << "the note and the summary: " << third.output;
  EXPECT_NE(third.output.find("run 2 of this model and data differs in data"), std::string::npos) << third.output;
  EXPECT_NE(third.output.find("(and 1 earlier run(s) of them)"), std::string::npos) << third.output;
  // An LRP rules file edited in place: its content is part of the run, so the next run is new.
  write_text(f.dir + "/rules.json", R"js([{"kind": "linear", "rule": "epsilon(eps=0.5)"}])js");
  const std::string lrp = "check --model " + f.model + " --data " + f.images + " --count 0 --methods 'lrp_z(rules=" +
                          f.dir + "/rules.json)' --checks cascading --metrics spearman_abs --threads 1 --quiet --out " +
                          f.dir + "/lrp";
  ASSERT_EQ(test::run_cli(lrp).exit_code, 0);
  write_text(f.dir + "/rules.json", R"js([{"kind": "linear", "rule": "epsilon(eps=2)"}])js");
  const auto edited = test::run_cli(lrp);
  EXPECT_NE(edited.output.find("run 2:"), std::string::npos) << edited.output;
  EXPECT_NE(edited.output.find("other inputs"), std::string::npos) << edited.output;
}

TEST(Hardening, DamagedStoreOrMapIsOneErrorAndRepairRecomputesTheSameResults) {
  const Fixture f = make_fixture("hard-damaged");
  ASSERT_EQ(test::run_cli(check_args(f)).exit_code, 0);
  const std::string db = f.dir + "/study/results.sqlite";
  const std::string before = dump(db);
  // 8 KB of garbage over the table pages.
  {
    std::fstream io(db, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(8192);
    const std::string garbage(8192, '\x5a');
    io.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  expect_one_line_error(test::run_cli(check_args(f)), 2, {"results.sqlite", "damaged", "--repair"});
  // Export and report only read: they refuse the damaged store and name who can repair it.
  expect_one_line_error(test::run_cli("export --db " + db + " --out " + f.dir + "/damaged-export"), 2,
                        {"results.sqlite", "damaged", "that wrote it again with --repair"});
  expect_one_line_error(test::run_cli("report --study " + f.dir + "/study"), 2, {"damaged", "--repair"});
  const auto repaired = test::run_cli(check_args(f, "--repair"));
  ASSERT_EQ(repaired.exit_code, 0) << repaired.output;
  EXPECT_NE(repaired.output.find("repaired"), std::string::npos) << repaired.output;
  EXPECT_EQ(dump(db), before) << "recomputed units equal the lost ones";
  EXPECT_EQ(test::run_cli("export --db " + db + " --out " + f.dir + "/export").exit_code, 0);
  // A truncated saved map: named, and --repair computes its unit again.
  const std::string map = f.dir + "/study/maps/1/cascading/1/gradient.npy";
  ASSERT_TRUE(fs::exists(map));
  fs::resize_file(map, fs::file_size(map) / 2);
  expect_one_line_error(test::run_cli(check_args(f)), 2, {"gradient.npy", "truncated", "--repair"});
  const auto fixed = test::run_cli(check_args(f, "--repair"));
  ASSERT_EQ(fixed.exit_code, 0) << fixed.output;
  EXPECT_NE(fixed.output.find("1 units computed"), std::string::npos) << fixed.output;
  EXPECT_EQ(checked_npy_problem(map), "");
  EXPECT_EQ(dump(db), before);
  // Garbage over the body, header and size intact: only the checksum shows it.
  const std::string intact = read_bytes(map);
  {
    std::fstream io(map, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(fs::file_size(map) - 64));
    io.write(std::string(64, '\x5a').data(), 64);
  }
  EXPECT_EQ(npy_problem(map), "");
  expect_one_line_error(test::run_cli(check_args(f)), 2, {"gradient.npy", "does not match its checksum", "--repair"});
  expect_one_line_error(test::run_cli("report --study " + f.dir + "/study"), 2, {"gradient.npy", "checksum"});
  ASSERT_EQ(test::run_cli(check_args(f, "--repair")).exit_code, 0);
  EXPECT_EQ(read_bytes(map), intact) << "the unit computed again writes the same map";
}

TEST(Hardening, NonFiniteWeightsAndOutputsNameTheTensor) {
  const Fixture f = make_fixture("hard-nan");
  Graph g = build_cnn(3);
  g.layer(g.find("fc1")).params()[0].value[0][0] = std::nan("");
  save_onnx(g, f.dir + "/nan.onnx");
  expect_one_line_error(test::run_cli("explain --model " + f.dir + "/nan.onnx --data " + f.images +
                                      " --methods gradient --out " + f.dir + "/e"),
                        2, {"nan.onnx", "parameter 'weight' of node 'fc1'", "NaN or Inf"});
  expect_one_line_error(test::run_cli("evaluate --model " + f.dir + "/nan.onnx --data " + f.images), 2,
                        {"nan.onnx", "NaN or Inf"});
  // Finite weights whose outputs overflow.
  Graph big = build_cnn(3);
  big.layer(big.find("fc2")).params()[0].value.fill_(3e38);
  save_onnx(big, f.dir + "/inf.onnx");
  expect_one_line_error(test::run_cli("evaluate --model " + f.dir + "/inf.onnx --data " + f.images), 2,
                        {"output for image", "NaN or Inf"});
  test::expect_input_error([] { require_finite_maps(torch::tensor({{1.0, std::nan("")}}), "gradient", torch::tensor({7})); },
                           "method gradient: the map of image 7 holds NaN or Inf");
}

TEST(Hardening, UnboundedWorkIsRefusedBeforeItStarts) {
  const Fixture f = make_fixture("hard-bounds");
  const std::string explain = "explain --model " + f.model + " --data " + f.images + " --out " + f.dir + "/e --no-png ";
  for (const char* t : {"100000", "0", "-1"})
    expect_one_line_error(test::run_cli(explain + "--methods gradient --threads " + std::string(t)), 2, {"--threads"});
  expect_one_line_error(test::run_cli(explain + "--methods 'integrated_gradients(steps=100000000)'"), 2,
                        {"steps=100000000 must be at most 100000"});
  std::string deep = "gradient";
  for (int i = 0; i < 5000; ++i) deep = "smoothgrad(" + deep + ")";
  write_text(f.dir + "/deep.txt", deep);
  const auto start = std::chrono::steady_clock::now();
  expect_one_line_error(test::run_cli(explain + "--methods \"$(cat " + f.dir + "/deep.txt)\""), 2, {"nest at most 8"});
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 30.0);
  expect_one_line_error(
      test::run_cli(explain + "--methods 'smoothgrad(smoothgrad(integrated_gradients(steps=10000), n=1000), n=100)'"), 2,
      {"more than 10000000 forward and backward passes per image"});
  // A long spec still has a short file name, and explain.json maps it back.
  const std::string spec = "smoothgrad(vargrad(integrated_gradients(steps=3, baseline=blur, rule=trapezoid, blur_sigma=2.5), "
                           "n=2, sigma=0.125), n=2, sigma=0.0625)";
  ASSERT_EQ(test::run_cli(explain + "--threads 1 --methods '" + spec + "'").exit_code, 0);
  for (const auto& e : fs::directory_iterator(f.dir + "/e"))
    EXPECT_LE(e.path().filename().string().size(), 110u) << e.path();
  std::ifstream json(f.dir + "/e/explain.json");
  const auto j = nlohmann::json::parse(json);
  EXPECT_TRUE(fs::exists(f.dir + "/e/" + j["methods"][0]["file"].get<std::string>()));
}

TEST(Hardening, NpyHeadersAreCheckedAgainstTheFileBeforeAllocating) {
  const std::string dir = test::temp_dir("hard-npy");
  const Fixture f = make_fixture("hard-npy-model");
  const auto explain = [&](const std::string& file) {
    return test::run_cli("explain --model " + f.model + " --data " + file + " --methods gradient --out " + dir + "/e");
  };
  write_npy_header(dir + "/huge.npy", "<f4", "(400000000, 1, 28, 28)", 64);
  expect_one_line_error(explain(dir + "/huge.npy"), 2, {"huge.npy", "its shape promises", "truncated"});
  write_npy_header(dir + "/negative.npy", "<f4", "(-1, 1, 28, 28)", 0);
  expect_one_line_error(explain(dir + "/negative.npy"), 2, {"negative.npy", "'-1'", "non-negative integers"});
  // No elements, but sizes whose product LibTorch's strides cannot hold (found by fuzz_npy: an abort).
  write_npy_header(dir + "/empty-vast.npy", "<f4", "(0, 4294967296, 4294967296)", 0);
  expect_one_line_error(explain(dir + "/empty-vast.npy"), 2, {"empty-vast.npy", "overflows 64 bits"});
  std::string dims = "(";
  for (int i = 0; i < 65; ++i) dims += "1, ";
  write_npy_header(dir + "/many-dims.npy", "<f4", dims + ")", 4);
  expect_one_line_error(explain(dir + "/many-dims.npy"), 2, {"many-dims.npy", "65 sizes; expected at most 64"});
  write_npy_header(dir + "/garbled.npy", "<f4", "(abc, 1)", 0);
  expect_one_line_error(explain(dir + "/garbled.npy"), 2, {"garbled.npy", "'abc'"});
  write_npy_header(dir + "/overflow.npy", "<f4", "(99999999999, 99999999999, 99999999999)", 0);
  expect_one_line_error(explain(dir + "/overflow.npy"), 2, {"overflow.npy", "more elements than any file"});
  // Header dictionaries numpy.load would refuse: each named, none read past.
  const size_t bytes = 2 * 28 * 28 * 4;
  for (const auto& [dict, needle] : std::vector<std::pair<std::string, std::string>>{
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), ", "missing its closing '}'"},
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28), 'x': 1}", "unknown field 'x'"},
           {"{'descr': '<f4', 'shape': (2, 1, 28, 28)}", "no 'fortran_order' field"},
           {"{'descr': '<f4', 'fortran_order': 7, 'shape': (2, 1, 28, 28)}", "must be True or False"},
           {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28)}", "'descr' is given twice"},
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28}", "not a closed tuple"},
           {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1, 28, 28)} x", "after the closing '}'"}}) {
    write_npy_dict(dir + "/dict.npy", dict, bytes);
    expect_one_line_error(explain(dir + "/dict.npy"), 2, {"dict.npy: .npy header", needle});
  }
  write_npy_dict(dir + "/dict.npy", "{'shape': (2, 1, 28, 28), 'fortran_order': False, 'descr': '<f4'}", bytes);
  EXPECT_EQ(explain(dir + "/dict.npy").exit_code, 0) << "the keys in another order are the same header";
  write_npy_header(dir + "/empty.npy", "<f4", "(0, 1, 28, 28)", 0);
  expect_one_line_error(explain(dir + "/empty.npy"), 2, {"empty.npy", "holds no images"});
  write_npy(dir + "/bytes.npy", torch::zeros({2, 1, 28, 28}, torch::kUInt8));
  expect_one_line_error(explain(dir + "/bytes.npy"), 2, {"bytes.npy", "uint8", "float32"});
  write_npy(dir + "/float_labels.npy", torch::zeros({4}));
  write_npy(dir + "/wide_labels.npy", torch::zeros({4, 2}, torch::kInt64));
  write_npy(dir + "/big_labels.npy", torch::full({4}, 12, torch::kInt64));
  const std::string base = "evaluate --model " + f.model + " --data " + f.images + " --labels " + dir;
  expect_one_line_error(test::run_cli(base + "/float_labels.npy"), 2, {"float_labels.npy", "integer class indices"});
  expect_one_line_error(test::run_cli(base + "/wide_labels.npy"), 2, {"wide_labels.npy", "1-D"});
  expect_one_line_error(test::run_cli(base + "/big_labels.npy"), 2, {"label 12", "10 classes"});
}

TEST(Hardening, OneWriterPerStudyAndReadOnlyStudiesCanBeRead) {
  const Fixture f = make_fixture("hard-lock");
  {
    const DirectoryLock held(f.dir + "/study");  // this process writes the study
    expect_one_line_error(test::run_cli(check_args(f)), 2, {"in use by another sanity process", "pid"});
  }
  ASSERT_EQ(test::run_cli(check_args(f)).exit_code, 0);
  // Temporary names are unique per write: two threads writing one file never collide.
  std::vector<std::thread> writers;
  std::atomic<int> failures{0};
  for (int t = 0; t < 2; ++t)
    writers.emplace_back([&] {
      for (int i = 0; i < 50; ++i) try {
          write_npy(f.dir + "/same.npy", torch::rand({8, 8}));
        } catch (const std::exception&) {
          ++failures;
        }
    });
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(npy_problem(f.dir + "/same.npy"), "");
  // A study this user may read but not write (root reads everything: run the commands as nobody).
  if (geteuid() != 0 || std::system("command -v setpriv >/dev/null") != 0) GTEST_SKIP() << "needs root and setpriv";
  const std::string out = test::temp_dir("hard-lock-export");
  fs::permissions(out, fs::perms::all);
  fs::permissions(f.dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                             fs::perms::others_exec);
  const std::string nobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  const auto exported = test::run_command(nobody + SANITY_CLI + " export --db " + f.dir + "/study/results.sqlite --out " + out);
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_TRUE(fs::exists(out + "/measurements.csv"));
}

TEST(Hardening, ModelShapesAndOptionsOutsideWhatWeExplainAreOneLine) {
  const Fixture f = make_fixture("hard-io");
  write_io_model(f.dir + "/two_in.onnx", 2, 1);
  expect_one_line_error(test::run_cli("info --model " + f.dir + "/two_in.onnx"), 3, {"2 inputs", "one image input"});
  write_io_model(f.dir + "/two_out.onnx", 1, 2);
  expect_one_line_error(test::run_cli("info --model " + f.dir + "/two_out.onnx"), 3, {"2 outputs", "'y0', 'y1'"});
  write_io_model(f.dir + "/map_out.onnx", 1, 1, /*four_d_output=*/true);
  expect_one_line_error(test::run_cli("info --model " + f.dir + "/map_out.onnx"), 3, {"[1, 1, 4, 4]", "[N, classes]"});
  // A grayscale model fed an image folder as RGB (the default): the hint names the option.
  fs::create_directories(f.dir + "/gray/a");
  write_text(f.dir + "/gray/a/one.pgm", "P5\n28 28\n255\n" + std::string(28 * 28, '\x40'));
  expect_one_line_error(test::run_cli("explain --model " + f.model + " --data " + f.dir + "/gray --methods gradient --out " +
                                      f.dir + "/e"),
                        2, {"--channels 1"});
  expect_one_line_error(test::run_cli("explain --model " + f.model + " --data " + f.images + " --frob --out x"), 2,
                        {"--frob"});
  write_text(f.dir + "/afile", "x");
  expect_one_line_error(test::run_cli("explain --model " + f.model + " --data " + f.images + " --methods gradient --out " +
                                      f.dir + "/afile"),
                        2, {"--out", "is a file"});
  expect_one_line_error(test::run_cli(check_args(f, "--grid-images -5")), 2, {"--grid-images -5"});
  save_onnx(build_mlp(1), f.dir + "/mlp.onnx");
  expect_one_line_error(test::run_cli(check_args(f, "--permuted-model " + f.dir + "/mlp.onnx", "data")), 2,
                        {"--permuted-model", "not the architecture"});
  expect_one_line_error(test::run_cli("train --model cnn --subset -5 --out " + f.dir + "/t"), 2,
                        {"--subset: expected an integer >= 0, got -5"});
  expect_one_line_error(test::run_cli("export --db " + f.dir + " --out " + f.dir + "/x"), 2, {"is a directory"});
  ASSERT_EQ(test::run_cli(check_args(f)).exit_code, 0);
  expect_one_line_error(test::run_cli("report --study " + f.dir + "/study --ranking-metric nosuch"), 2,
                        {"--ranking-metric nosuch", "unknown metric"});
  // An export that fails on the way leaves no temporary file behind.
  fs::create_directories(f.dir + "/ex/measurements.csv");
  EXPECT_EQ(test::run_cli("export --db " + f.dir + "/study/results.sqlite --out " + f.dir + "/ex").exit_code, 2);
  for (const auto& e : fs::directory_iterator(f.dir + "/ex"))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

TEST(Hardening, StudyConfigsAreCheckedWholeBeforeAnythingIsWritten) {
  const std::string dir = test::temp_dir("hard-config");
  const auto run = [&](const std::string& name, const std::string& json) {
    write_text(dir + "/" + name + ".json", json);
    return test::run_cli("run " + dir + "/" + name + ".json --out " + dir + "/" + name + " --quiet");
  };
  expect_one_line_error(run("negative", R"({"testbed": {"count": -4}})"), 2, {"testbed.count", "-4"});
  expect_one_line_error(run("fraction", R"({"testbed": {"count": 4.7}})"), 2, {"testbed.count", "an integer", "4.7"});
  expect_one_line_error(run("split", R"({"testbed": {"split": "validation"}})"), 2,
                        {"testbed.split", "train or test", "'validation'"});
  // A syntax error in our words, where it is: no "[json.exception.parse_error.101]".
  const auto syntax = run("syntax", "{\"models\": [{\"builtin\": \"cnn\"},\n ,]}");
  expect_one_line_error(syntax, 2, {"syntax.json: not valid JSON at line 2, column 2: unexpected ','"});
  EXPECT_EQ(syntax.output.find("json.exception"), std::string::npos) << syntax.output;
  expect_one_line_error(run("twice", R"({"report": false, "report": true})"), 2, {"\"report\" appears twice"});
  expect_one_line_error(run("missing", R"({"models": [{"name": "m", "onnx": ")" + dir + R"(/none.onnx", "data": "mnist"}]})"),
                        2, {"models[0].onnx", "none.onnx does not exist"});
  EXPECT_FALSE(fs::exists(dir + "/missing/study.json")) << "nothing is written before the config checks out";
  expect_one_line_error(run("badcheck", R"js({"checks": ["cascading", "smprt(samples=0)"]})js"), 2, {"samples=0"});
  EXPECT_FALSE(fs::exists(dir + "/badcheck"));
  // A model name forms paths inside the study: one that could climb out is refused before anything runs.
  for (const char* name : {"../../../escaped_builtin", "a/b", "..", ".hidden"}) {
    const std::string config = R"({"models": [{"name": ")" + std::string(name) + R"(", "builtin": "cnn"}]})";
    expect_one_line_error(run("escape", config), 2, {"models[0].name", "does not start with '.'"});
  }
  EXPECT_FALSE(fs::exists(dir + "/escaped_builtin"));
  EXPECT_FALSE(fs::exists(dir + "/escape/models"));
  // Nesting past kMaxJsonDepth (here 50,000 objects deep, which overflowed the stack) is one line.
  std::string deep;
  for (int i = 0; i < 50000; ++i) deep += R"({"a": )";
  deep += "1" + std::string(50000, '}');
  expect_one_line_error(run("deep", deep), 2, {"deep.json", "nested deeper than 64 levels"});
  expect_one_line_error(run("deep_arrays", std::string(200000, '[') + std::string(200000, ']')), 2,
                        {"nested deeper than 64 levels"});
}

TEST(Hardening, SanityAloneSaysWhatItWillDoBeforeDoingIt) {
  const std::string dir = test::temp_dir("hard-alone");
  // Started in an empty folder and interrupted after two seconds: the first line has been printed.
  const auto r = test::run_command("cd " + dir + " && timeout -s INT 2 " + SANITY_CLI);
  EXPECT_EQ(r.output.rfind("sanity: no command given", 0), 0u) << r.output;
  for (const char* piece : {"default study", "runs/study/", "report/report.html", "minutes", "cores", "resumes"})
    EXPECT_NE(r.output.find(piece), std::string::npos) << piece << " in: " << r.output;
}

// Weights kept beside the model (external data, the dynamo exporter's default) are read from the
// model's folder only: a location that is absolute, climbs out with "..", or links out is one error
// naming the initializer; so is a length past the file's end.
TEST(Hardening, ExternalDataIsReadFromTheModelsFolderOnly) {
  const std::string dir = test::temp_dir("hardening-external"), outside = test::temp_dir("hardening-outside");
  const Tensor w = torch::randn({16, 3});
  auto write_data = [&](const std::string& file) {
    std::ofstream out(file, std::ios::binary);
    out.write("12345678", 8);  // another tensor's bytes before w's
    out.write(static_cast<const char*>(w.data_ptr()), static_cast<std::streamsize>(w.nbytes()));
  };
  write_data(dir + "/model.onnx.data");
  write_data(outside + "/w.bin");
  write_external_model(dir + "/model.onnx", "model.onnx.data");
  Graph g = load_onnx(dir + "/model.onnx");
  const Tensor x = torch::randn({1, 1, 4, 4});
  EXPECT_TRUE(torch::allclose(g.forward_all(x)[g.logits()], x.flatten(1).mm(w), 1e-5, 1e-6));

  write_external_model(dir + "/climbs.onnx", "../" + std::filesystem::path(outside).filename().string() + "/w.bin");
  test::expect_input_error([&] { load_onnx(dir + "/climbs.onnx"); }, "'fc.weight' external_data.location");
  write_external_model(dir + "/absolute.onnx", outside + "/w.bin");
  test::expect_input_error([&] { load_onnx(dir + "/absolute.onnx"); }, "is absolute");
  std::filesystem::create_symlink(outside + "/w.bin", dir + "/link.bin");
  write_external_model(dir + "/link.onnx", "link.bin");
  test::expect_input_error([&] { load_onnx(dir + "/link.onnx"); }, "leads out of the model's folder");
  write_external_model(dir + "/long.onnx", "model.onnx.data", 16 * 3 * 4 + 4);
  test::expect_input_error([&] { load_onnx(dir + "/long.onnx"); }, "which holds 200");
  write_external_model(dir + "/missing.onnx", "nowhere.data");
  test::expect_input_error([&] { load_onnx(dir + "/missing.onnx"); }, "is not a file");
}

// Issue 38's first cases, grouped by reader: each is one line and exit 2, not a library's text and exit 1.
TEST(Hardening, LinkLoopsFoldersOneClassModelsAndLabelFilesAreOneLine) {
  const Fixture f = make_fixture("hard-round2");
  // A model path that is a symbolic-link loop: the file system's reason, naming the path.
  fs::create_symlink(f.dir + "/loop.onnx", f.dir + "/loop.onnx");
  expect_one_line_error(test::run_cli("info --model " + f.dir + "/loop.onnx"), 2, {"loop.onnx", "symbolic links"});
  // A study configuration that is a folder.
  fs::create_directories(f.dir + "/config.json");
  expect_one_line_error(test::run_cli("run " + f.dir + "/config.json --out " + f.dir + "/s --quiet"), 2,
                        {"config.json", "is a folder"});
  // random_logit on a model with one output class: there is no other class to draw.
  Graph one;
  const int x = one.add_input({"input", {1, 28, 28}});
  const int flat = one.add("flat", std::make_unique<Flatten>(1), {x});
  one.add("fc", std::make_unique<Linear>(torch::randn({1, 28 * 28}), torch::zeros({1})), {flat});
  save_onnx(one, f.dir + "/one.onnx");
  expect_one_line_error(test::run_cli("check --model " + f.dir + "/one.onnx --data " + f.images +
                                      " --methods gradient --checks random_logit --quiet --out " + f.dir + "/rl"),
                        2, {"random_logit", "1 output class", "at least 2"});
  // Label files: a class index past 2^31, a negative one, indices and names mixed.
  fs::create_directories(f.dir + "/imgs");
  write_text(f.dir + "/imgs/a.pgm", "P5\n28 28\n255\n" + std::string(28 * 28, '\x40'));
  write_text(f.dir + "/imgs/b.pgm", "P5\n28 28\n255\n" + std::string(28 * 28, '\x20'));
  const auto explain_with = [&](const std::string& labels) {
    write_text(f.dir + "/labels.txt", labels);
    return test::run_cli("explain --model " + f.model + " --data " + f.dir + "/imgs --channels 1 --labels " + f.dir +
                         "/labels.txt --methods gradient --quiet --out " + f.dir + "/e");
  };
  expect_one_line_error(explain_with("a.pgm 99999999999999999999999\n"), 2, {"labels.txt:1", "below 2^31"});
  expect_one_line_error(explain_with("a.pgm -1\n"), 2, {"labels.txt:1", "'-1'", "not a negative number"});
  expect_one_line_error(explain_with("a.pgm cat\nb.pgm 0\n"), 2, {"labels.txt:2", "mixes class indices and class names"});
  EXPECT_EQ(explain_with("a.pgm cat\nb.pgm dog\n").exit_code, 0);
  expect_one_line_error(explain_with("a.pgm cat\nb.pgm dog\n./a.pgm dog\n"), 2,
                        {"labels.txt:3", "./a.pgm is listed again (first on line 1)"});
  // --resize past any image (OpenCV would try to allocate 40 GB) or not a size at all.
  for (const char* size : {"100000", "0", "-5"})
    expect_one_line_error(test::run_cli("explain --model " + f.model + " --data " + f.dir + "/imgs --channels 1 --resize " +
                                        size + " --methods gradient --quiet --out " + f.dir + "/e"),
                          2, {"--resize " + std::string(size), "expected 1 to 8192 pixels"});
  // An infinite learning rate, refused before training (it wrote a model of NaN weights).
  expect_one_line_error(test::run_cli("train --model cnn --dataset mnist --lr inf --out " + f.dir + "/t"), 2,
                        {"--lr: expected a number > 0, got \"inf\""});
  EXPECT_FALSE(fs::exists(f.dir + "/t/model.onnx"));
  // An IDX file that holds no images (a LibTorch backtrace before).
  const std::vector<unsigned char> empty_idx = {0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28};
  try {
    (void)parse_idx_ubyte(empty_idx, "empty-idx3-ubyte", 3);
    ADD_FAILURE() << "an IDX file of 0 images was read";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("empty-idx3-ubyte: IDX header: the file holds 0 items"), std::string::npos)
        << e.what();
  }
}

// Options that were taken silently: integers CLI11 parsed with strtoll (hex, octal, wrapped negatives,
// clamped overflow), empty lists that meant the default, options the data or the checks never read.
TEST(Hardening, OptionsNoCommandReadsOrCannotMeanAreOneLine) {
  const Fixture f = make_fixture("hard-options");
  const std::string explain = "explain --model " + f.model + " --data " + f.images + " --methods gradient --quiet --out " +
                              f.dir + "/e ";
  expect_one_line_error(test::run_cli(explain + "--count -3"), 2, {"--count -3", "expected 0 (every image) or more"});
  expect_one_line_error(test::run_cli(explain + "--count 99999999999999999999"), 2,
                        {"--count", "fits in 64 bits", "got 99999999999999999999"});
  for (const char* seed : {"-5", "0x10", "1e3", "18446744073709551616"})
    expect_one_line_error(test::run_cli(explain + "--seed " + seed), 2, {"--seed", "decimal digits, 0 or more", seed});
  expect_one_line_error(test::run_cli(explain + "--resize 32"), 2, {"x.npy is an array", "--resize", "image folders only"});
  expect_one_line_error(test::run_cli("evaluate --model " + f.model + " --data mnist --labels " + f.images), 2,
                        {"--labels", "mnist has its own labels"});
  // More images asked for than there are: done with all of them, and said.
  const auto all = test::run_cli(explain + "--count 100");
  EXPECT_EQ(all.exit_code, 0) << all.output;
  EXPECT_NE(all.output.find("note: --count 100, but " + f.images + " holds 4 images: the test bed is all 4"),
            std::string::npos) << all.output;
  // Empty lists, and the data check's models without the data check.
  expect_one_line_error(test::run_cli(check_args(f, "--layers ''")), 2, {"--layers", "empty"});
  expect_one_line_error(test::run_cli(check_args(f, "", "','")), 2, {"--checks: empty", "cascading"});
  expect_one_line_error(test::run_cli(check_args(f, "--permuted-model " + f.model)), 2,
                        {"--permuted-model", "only the data check reads it"});
  expect_one_line_error(test::run_cli(check_args(f, "--permuted-model " + f.model, "data")), 2,
                        {"--permuted-model", "that is --model itself"});
}

// A model with one input of `type` and `dims` (0: symbolic), flattened to its output.
void write_input_model(const std::string& path, int type, const std::vector<int64_t>& dims) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("input");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(type);
  for (int64_t d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d) dim->set_dim_value(d);
    else dim->set_dim_param("N");
  }
  auto* n = g->add_node();
  n->set_op_type("Flatten");
  n->add_input("input");
  n->add_output("logits");
  g->add_output()->set_name("logits");
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&out));
}

// What scripts/probe.py found accepted without a word: each refused in one line, or said.
TEST(Hardening, ProbeFindingsAreOneLineOrANote) {
  const Fixture f = make_fixture("hard-probe");
  write_input_model(f.dir + "/int.onnx", onnx::TensorProto::INT64, {0, 1, 28, 28});
  expect_one_line_error(test::run_cli("info --model " + f.dir + "/int.onnx"), 3, {"int.onnx", "INT64 values"});
  write_input_model(f.dir + "/neg.onnx", onnx::TensorProto::FLOAT, {0, 1, -28, 28});
  expect_one_line_error(test::run_cli("info --model " + f.dir + "/neg.onnx"), 2, {"neg.onnx", "dimension 2 is -28"});
  // A window with pads of 100,000 pixels, or larger than the image: our words, not LibTorch's allocator's.
  for (const auto& [pad, kernel, needle] : {std::tuple{100000, 3, "pads of 100000 pixels; expected 0 to 8192"},
                                            std::tuple{0, 40, "40-pixel window does not fit the input's height of 28"}}) {
    onnx::ModelProto m;
    {
      std::ifstream in(f.model, std::ios::binary);
      ASSERT_TRUE(m.ParseFromIstream(&in));
    }
    auto* g = m.mutable_graph();
    auto* pool = g->add_node();
    pool->set_op_type("MaxPool");
    pool->add_input(g->input(0).name());
    pool->add_output("pooled");
    auto* k = pool->add_attribute();
    k->set_name("kernel_shape");
    k->set_type(onnx::AttributeProto::INTS);
    k->add_ints(kernel);
    k->add_ints(kernel);
    auto* pads = pool->add_attribute();
    pads->set_name("pads");
    pads->set_type(onnx::AttributeProto::INTS);
    for (int i = 0; i < 4; ++i) pads->add_ints(pad);
    g->mutable_node()->SwapElements(0, g->node_size() - 1);  // first: the import stops at it
    std::ofstream(f.dir + "/window.onnx", std::ios::binary) << m.SerializeAsString();
    expect_one_line_error(test::run_cli("info --model " + f.dir + "/window.onnx"), 2, {"(MaxPool)", needle});
  }
  const std::string on = "explain --model " + f.model + " --quiet --out " + f.dir + "/e ";
  const std::string explain = on + "--data " + f.images + " ";
  expect_one_line_error(test::run_cli(explain + "--methods gradient,sobel,gradient"), 2,
                        {"entry 3: gradient is given twice"});
  expect_one_line_error(test::run_cli(explain + "--methods gradient,,sobel"), 2, {"entry 2 is empty"});
  expect_one_line_error(test::run_cli(explain + "--methods gradient --split train"), 2,
                        {"--split train", "only mnist and fashion-mnist have splits"});
  // Class folders numbered as torchvision's ImageFolder numbers them, said where a name is a number.
  for (const char* c : {"-1", "0"}) {
    fs::create_directories(f.dir + "/classes/" + c);
    write_text(f.dir + "/classes/" + c + "/a.pgm", "P5\n28 28\n255\n" + std::string(28 * 28, '\x40'));
  }
  const auto folders = test::run_cli(on + "--methods gradient --channels 1 --data " + f.dir + "/classes");
  EXPECT_EQ(folders.exit_code, 0) << folders.output;
  EXPECT_NE(folders.output.find("numbered by sorted name, as torchvision's ImageFolder numbers them: folder '-1' is class 0"),
            std::string::npos) << folders.output;
  // Images a decoder refuses: one line, without libpng's own.
  fs::create_directories(f.dir + "/bad/a");
  write_text(f.dir + "/bad/a/x.png", std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16));
  expect_one_line_error(test::run_cli(on + "--methods gradient --channels 1 --data " + f.dir + "/bad"), 2,
                        {"x.png: cannot decode image"});
  write_text(f.dir + "/bad/a/x.png", "P5\n1000000000 1000000000\n255\n");
  fs::rename(f.dir + "/bad/a/x.png", f.dir + "/bad/a/x.pgm");
  expect_one_line_error(test::run_cli(on + "--methods gradient --channels 1 --data " + f.dir + "/bad"), 2,
                        {"x.pgm: cannot decode image", "size or format OpenCV refuses"});
}

// A shard of another study (other methods in its study.json) would have joined OUT's runs silently.
TEST(Hardening, MergeRefusesAShardOfAnotherStudy) {
  const std::string dir = test::temp_dir("hard-merge");
  for (const char* d : {"/out", "/shard"}) {
    fs::create_directories(dir + d);
    ResultsStore store(dir + d + "/results.sqlite");
  }
  write_text(dir + "/out/study.json", R"({"config": {"out": "a", "methods": ["gradient"]}})");
  write_text(dir + "/shard/study.json", R"({"config": {"out": "b", "methods": ["gradient"]}, "shard": "1/2"})");
  EXPECT_NO_THROW(merge_shards(dir + "/out", {dir + "/shard"})) << "the same study, written elsewhere";
  write_text(dir + "/shard/study.json", R"({"config": {"out": "b", "methods": ["lrp_z"]}})");
  test::expect_input_error([&] { merge_shards(dir + "/out", {dir + "/shard"}); },
                           "shard/study.json is another study than " + dir + "/out/study.json (field 'methods' differs)");
}

// SIGTERM, what Slurm sends before SIGKILL, stops a run as Ctrl-C does: between units, one line, exit
// 143, every committed unit kept; the same command then computes the rest.
TEST(Hardening, SigtermStopsBetweenUnitsAndTheSameCommandFinishes) {
  const Fixture f = make_fixture("hard-sigterm");
  write_npy(f.images, torch::rand({16, 1, 28, 28}));
  const std::string study = f.dir + "/study", log = f.dir + "/log.txt";
  const auto args_for = [&](const std::string& out) {
    return "check --model " + f.model + " --data " + f.images +
           " --count 0 --methods 'gradient,integrated_gradients(steps=128)' --checks cascading,independent"
           " --metrics spearman_abs --threads 1 --quiet --out " + out;
  };
  const std::string args = args_for(study);
  const auto units = [&] {
    try {
      ResultsStore store(study + "/results.sqlite", /*read_only=*/true);
      size_t n = 0;
      for (const RunInfo& r : store.runs()) n += store.done_units(r.id).size();
      return n;
    } catch (const std::exception&) {
      return size_t{0};  // not created yet
    }
  };
  const pid_t child = fork();
  if (child == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + std::string(SANITY_CLI) + " " + args + " > " + log + " 2>&1").c_str(),
          (char*)nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  const auto cached = [&] {  // the trained model's maps of a method, cached for the resume
    std::error_code ec;
    return !fs::is_empty(study + "/cache/1/original", ec) && !ec;
  };
  while ((units() < 1 || !cached()) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(kill(child, SIGTERM), 0);
  int status = 0;
  waitpid(child, &status, 0);
  std::ifstream in(log);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_TRUE(WIFEXITED(status)) << "killed by signal " << WTERMSIG(status) << ": " << output;
  EXPECT_EQ(WEXITSTATUS(status), 143) << output;
  EXPECT_EQ(test::count_lines(output), 1) << output;
  EXPECT_NE(output.find("interrupted by SIGTERM"), std::string::npos) << output;
  const size_t kept = units();
  EXPECT_GE(kept, 1u);
  // The trained model's maps the stopped run cached for its resume, garbled under intact headers (a
  // disk's damage): the resume must compute them again, not compare the other units against them.
  int garbled = 0;
  for (const auto& e : fs::directory_iterator(study + "/cache/1/original")) {
    std::fstream io(e.path(), std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(fs::file_size(e.path()) - 256));
    io.write(std::string(256, '\x3f').data(), 256);  // 0.75f over the last 64 values
    ++garbled;
  }
  ASSERT_GE(garbled, 1);
  const auto rerun = test::run_cli(args);
  EXPECT_EQ(rerun.exit_code, 0) << rerun.output;
  EXPECT_GT(units(), kept);
  const std::string whole = f.dir + "/whole";
  ASSERT_EQ(test::run_cli(args_for(whole)).exit_code, 0);
  EXPECT_EQ(dump(study + "/results.sqlite"), dump(whole + "/results.sqlite"))
      << "stopped, garbled and resumed gives the scores of one uninterrupted run";
}
