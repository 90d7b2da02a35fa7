// Where the time goes, node by node: each node's forward op (the plan's fused conv epilogue
// timed with its conv) and each node's input gradient for all classes at once (what the full
// analysis runs between the logits and the CAM layer), on the real activations of one
// picture. Calls the same ops the plan's interpreter calls (wasm/ops/ops.h), one at a time.
// Built natively and for Node by bench/run.sh:
//   node_bench WEIGHTS.csw PICTURE_224x224.rgba REPS [LAYER]
// Prints a table (ms, median of REPS) sorted by node order, the totals per op and algorithm,
// and one JSON line. With LAYER, the backward column covers only the nodes the full
// analysis runs (from the logits down to LAYER).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "bench_util.h"
#include "plan.h"
#include "preprocess.h"
#include "weights_io.h"

using namespace camscope;

namespace {

using bench::now_ms;
using bench::read_file;

template <class F>
double median_ms(F&& f, int reps) {
  f();  // warm-up (and the backward weights made on first use)
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = now_ms();
    f();
    t.push_back(now_ms() - t0);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// The label of a node's work: op, and for convs the algorithm and kernel.
std::string label(const Node& n, const ops::ConvWeights* cw) {
  if (n.op != Op::Conv) return op_name(n.op);
  const char* algo = cw->algo == ops::ConvAlgo::Winograd ? "winograd"
                     : cw->algo == ops::ConvAlgo::Gemm   ? "gemm"
                                                         : "depthwise";
  return std::string("conv ") + algo + " " + std::to_string(n.win.kh) + "x" +
         std::to_string(n.win.kw) + "/" + std::to_string(n.win.sh);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: node_bench WEIGHTS.csw PICTURE.rgba REPS [LAYER]\n");
    return 2;
  }
  const std::vector<uint8_t> bytes = read_file(argv[1]);
  const std::vector<uint8_t> rgba = read_file(argv[2]);
  const int reps = std::max(1, std::atoi(argv[3]));
  Net net;
  std::string err;
  if (!load_weights(bytes.data(), bytes.size(), net, err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  if (rgba.size() != size_t{224} * 224 * 4) {
    std::fprintf(stderr, "picture must be 224x224 RGBA\n");
    return 2;
  }
  const int target = argc > 4 ? net.find(argv[4]) : -1;
  if (argc > 4 && target < 0) {
    std::fprintf(stderr, "no layer %s\n", argv[4]);
    return 2;
  }
  const std::shared_ptr<const Model> model = Model::build(net);
  const std::vector<Node>& nodes = model->net().nodes;
  const int n = static_cast<int>(nodes.size());
  ops::Workspace ws;
  Activations acts;
  const double t_pre =
      median_ms([&] { (void)preprocess(rgba.data(), 224, 224, 4, model->net().info); }, reps);
  if (!model->forward(preprocess(rgba.data(), 224, 224, 4, model->net().info), acts, ws, &err)) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const double t_forward = median_ms(
      [&] {
        Tensor x = acts.input;
        model->forward(std::move(x), acts, ws);
      },
      reps);
  const int k = static_cast<int>(acts.logits().shape.size());

  // The plan's fusion, recomputed by the same rule (plan.cpp): BatchNorm, then ReLU/Clip,
  // each reading only the node before it, right after a conv.
  std::vector<int> fused_into(n, -1), bn_of(n, -1), act_of(n, -1);
  std::vector<std::unique_ptr<ops::ConvWeights>> cw(n);
  std::vector<float> scratch;
  for (int i = 0; i < n; ++i) {
    if (nodes[i].op != Op::Conv) continue;
    cw[i] = ops::prepare_conv(nodes[i], scratch);
    int j = i + 1, last = i;
    if (j < n && nodes[j].op == Op::BatchNorm && nodes[j].inputs == std::vector<int>{last})
      bn_of[i] = j, fused_into[j] = i, last = j++;
    if (j < n && (nodes[j].op == Op::ReLU || nodes[j].op == Op::Clip) &&
        nodes[j].inputs == std::vector<int>{last})
      act_of[i] = j, fused_into[j] = i;
  }
  // Nodes the full analysis sends gradients through: between the target and the logits.
  std::vector<uint8_t> in_backward(n, target < 0 ? 1 : 0);
  if (target >= 0) {
    std::vector<uint8_t> below(n, 0);
    below[target] = 1;
    for (int i = target + 1; i < n; ++i)
      for (int j : nodes[i].inputs)
        if (j >= target && below[j]) below[i] = 1;
    for (int i = target + 1; i < n; ++i) in_backward[i] = below[i];
  }

  std::vector<float> out, gy, gx;
  std::vector<int32_t> argmax;
  std::printf("%-28s %-22s %-14s %10s %10s\n", "node", "work", "output", "fwd ms", "bwd ms");
  std::map<std::string, std::pair<double, double>> by_label;
  double sum_f = 0.0, sum_b = 0.0;
  std::string json = "[";
  for (int i = 0; i < n; ++i) {
    const Node& nd = nodes[i];
    if (fused_into[i] >= 0) continue;
    const Tensor& x = nd.inputs[0] == kGraphInput ? acts.input : acts.out[nd.inputs[0]];
    const Shape in = x.shape, os = acts.out[i].shape;
    out.resize(os.size());
    std::vector<float> bo(os.size()), ao(os.size());  // fused BatchNorm / activation outputs
    double tf = 0.0;
    switch (nd.op) {
      case Op::Conv:
        tf = median_ms(
            [&] {
              ops::conv_forward(nd, *cw[i], x.data.data(), in, out.data(), os, ws);
              const int b = bn_of[i], a = act_of[i];
              ops::conv_epilogue(nd, b >= 0 ? &nodes[b] : nullptr, a >= 0 ? &nodes[a] : nullptr,
                                 out.data(), b >= 0 ? bo.data() : nullptr,
                                 a >= 0 ? ao.data() : nullptr, os.plane());
            },
            reps);
        break;
      case Op::BatchNorm:
        tf = median_ms([&] { ops::batchnorm_forward(nd, x.data.data(), in, out.data()); }, reps);
        break;
      case Op::ReLU:
      case Op::Clip:
        tf = median_ms([&] { ops::activation_forward(nd, x.data.data(), in.size(), out.data()); },
                       reps);
        break;
      case Op::MaxPool:
        tf = median_ms(
            [&] { ops::maxpool_forward(nd, x.data.data(), in, out.data(), os, argmax, ws); }, reps);
        break;
      case Op::AvgPool:
        tf = median_ms([&] { ops::avgpool_forward(nd, x.data.data(), in, out.data(), os); }, reps);
        break;
      case Op::AdaptiveAvgPool:
        tf = median_ms([&] { ops::adaptive_forward(x.data.data(), in, out.data(), os); }, reps);
        break;
      case Op::Flatten:
        tf = median_ms([&] { ops::flatten_forward(nd, x.data.data(), in, out.data()); }, reps);
        break;
      case Op::Linear:
        tf = median_ms([&] { ops::linear_forward(nd, x.data.data(), out.data()); }, reps);
        break;
      default:  // add, concat, identity: copies and sums
        tf = median_ms(
            [&] {
              std::copy(x.data.begin(), x.data.end(), out.begin());
              for (size_t s = 1; s < nd.inputs.size(); ++s) {
                const std::vector<float>& o = acts.out[nd.inputs[s]].data;
                for (size_t e = 0; e < out.size() && e < o.size(); ++e) out[e] += o[e];
              }
            },
            reps);
        break;
    }
    // The input gradient of K rows (all classes), through the whole fused group: activation,
    // batchnorm, conv, as the interpreter sends them.
    double tb = 0.0;
    if (in_backward[i] && nd.inputs[0] != kGraphInput) {
      const int last = act_of[i] >= 0 ? act_of[i] : (bn_of[i] >= 0 ? bn_of[i] : i);
      gy.assign(static_cast<size_t>(k) * acts.out[last].shape.size(), 1e-3f);
      gx.resize(static_cast<size_t>(k) * in.size());
      std::vector<float> g1(gy.size()), g2(gy.size());
      auto backward = [&] {
        const float* g = gy.data();
        if (act_of[i] >= 0) {
          const Tensor& pre = acts.out[bn_of[i] >= 0 ? bn_of[i] : i];
          ops::activation_backward(nodes[act_of[i]], pre.data.data(), pre.data.size(), k, g,
                                   g1.data(), false);
          g = g1.data();
        }
        if (bn_of[i] >= 0) {
          ops::batchnorm_backward(nodes[bn_of[i]], acts.out[i].shape, k, g, g2.data());
          g = g2.data();
        }
        switch (nd.op) {
          case Op::Conv: ops::conv_backward(nd, *cw[i], in, os, k, g, gx.data(), ws); break;
          case Op::BatchNorm: ops::batchnorm_backward(nd, in, k, g, gx.data()); break;
          case Op::ReLU:
          case Op::Clip:
            ops::activation_backward(nd, x.data.data(), in.size(), k, g, gx.data(), false);
            break;
          case Op::MaxPool: ops::maxpool_backward(in, os, acts.argmax[i], k, g, gx.data()); break;
          case Op::AvgPool: ops::avgpool_backward(nd, in, os, k, g, gx.data()); break;
          case Op::AdaptiveAvgPool: ops::adaptive_backward(in, os, k, g, gx.data()); break;
          case Op::Flatten: ops::flatten_backward(nd, in, k, g, gx.data()); break;
          case Op::Linear: ops::linear_backward(nd, k, g, gx.data()); break;
          default: std::copy(g, g + gx.size(), gx.data()); break;
        }
      };
      tb = median_ms(backward, reps);
    }
    std::string name = nd.name;
    if (act_of[i] >= 0)
      name += "+" + std::string(bn_of[i] >= 0 ? "bn+" : "") + "act";
    else if (bn_of[i] >= 0)
      name += "+bn";
    const std::string lab = label(nd, cw[i].get());
    char shape[32];
    std::snprintf(shape, sizeof shape, "%dx%dx%d", os.c, os.h, os.w);
    std::printf("%-28s %-22s %-14s %10.3f %10.3f\n", name.c_str(), lab.c_str(), shape, tf, tb);
    by_label[lab].first += tf;
    by_label[lab].second += tb;
    sum_f += tf;
    sum_b += tb;
    char j[256];
    std::snprintf(j, sizeof j, "%s{\"node\":\"%s\",\"work\":\"%s\",\"fwd\":%.4f,\"bwd\":%.4f}",
                  json.size() > 1 ? "," : "", nd.name.c_str(), lab.c_str(), tf, tb);
    json += j;
  }
  std::printf("\nby work:\n");
  for (const auto& [lab, t] : by_label)
    std::printf("  %-22s fwd %9.3f ms (%4.1f%%)  bwd %9.3f ms\n", lab.c_str(), t.first,
                100.0 * t.first / sum_f, t.second);
  std::printf(
      "preprocess %.3f ms; sum of nodes: fwd %.3f ms, bwd (K=%d rows) %.3f ms; whole "
      "forward (Model::forward) %.3f ms\n",
      t_pre, sum_f, k, sum_b, t_forward);
  std::printf(
      "JSON {\"preprocess\":%.4f,\"forward\":%.4f,\"sum_fwd\":%.4f,\"sum_bwd\":%.4f,"
      "\"nodes\":%s]}\n",
      t_pre, t_forward, sum_f, sum_b, json.c_str());
  return 0;
}
