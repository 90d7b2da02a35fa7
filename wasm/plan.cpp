// The plan and its interpreter: forward over the nodes in order, backward from the logits
// over the nodes that lie between the target and the logits.
#include "plan.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "kernels/threadpool.h"

namespace camscope {

std::shared_ptr<const Model> Model::build(Net net) {
  std::shared_ptr<Model> m(new Model());  // private constructor: make_shared cannot reach it
  m->net_ = std::move(net);
  const std::vector<Node>& nodes = m->net_.nodes;
  const size_t n = nodes.size();
  m->conv_.resize(n);
  m->fused_.assign(n, 0);
  m->fused_bn_.assign(n, -1);
  m->fused_act_.assign(n, -1);
  size_t most = 0;  // the largest int8 conv weight: one scratch buffer serves every conv
  for (const Node& nd : nodes)
    if (nd.op == Op::Conv) most = std::max(most, nd.qweight.size());
  std::vector<float> scratch;
  scratch.reserve(most);
  for (size_t i = 0; i < n; ++i) {
    if (nodes[i].op != Op::Conv) continue;
    m->conv_[i] = ops::prepare_conv(nodes[i], scratch);
    // A BatchNorm reading only this conv, then a ReLU/Clip reading only that, right after.
    size_t j = i + 1;
    int last = static_cast<int>(i);
    if (j < n && nodes[j].op == Op::BatchNorm && nodes[j].inputs == std::vector<int>{last}) {
      m->fused_bn_[i] = static_cast<int>(j);
      m->fused_[j] = 1;
      last = static_cast<int>(j++);
    }
    if (j < n && (nodes[j].op == Op::ReLU || nodes[j].op == Op::Clip) &&
        nodes[j].inputs == std::vector<int>{last}) {
      m->fused_act_[i] = static_cast<int>(j);
      m->fused_[j] = 1;
    }
  }
  return m;
}

bool Model::forward(Tensor input, Activations& acts, ops::Workspace& ws, std::string* error) const {
  const std::vector<Shape> shapes = net_.shapes(input.shape, error);
  if (shapes.empty()) return false;
  forward_nodes(std::move(input), shapes, static_cast<int>(net_.nodes.size()), acts, ws);
  return true;
}

void Model::forward_nodes(Tensor input, const std::vector<Shape>& shapes, int end,
                          Activations& acts, ops::Workspace& ws) const {
  const std::vector<Node>& nodes = net_.nodes;
  const size_t n = static_cast<size_t>(end);
  acts.input = std::move(input);
  // Reuse the previous forward's buffers: every node below writes all of its output.
  acts.out.resize(n);
  acts.argmax.resize(n);
  for (size_t i = 0; i < n; ++i) {
    acts.out[i].shape = shapes[i];
    acts.out[i].data.resize(shapes[i].size());
    if (nodes[i].op != Op::MaxPool) acts.argmax[i].clear();
  }
  std::vector<const float*> x;
  for (size_t i = 0; i < n; ++i) {
    if (fused_[i]) continue;  // written by the conv before it
    x.clear();
    for (int j : nodes[i].inputs)
      x.push_back((j == kGraphInput ? acts.input : acts.out[j]).data.data());
    const int b = fused_bn_[i], a = fused_act_[i];
    forward_node(static_cast<int>(i), shapes, acts.input.shape, x.data(), acts.out[i].data.data(),
                 b >= 0 ? acts.out[b].data.data() : nullptr,
                 a >= 0 ? acts.out[a].data.data() : nullptr, acts.argmax[i], ws);
  }
}

// The bias of a Linear node added onto its output y.
static void add_linear_bias(const Node& nd, float* y) {
  if (nd.has_bias)
    for (int o = 0; o < nd.cout; ++o) y[o] += nd.bias[o];
}

void Model::forward_node(int i, const std::vector<Shape>& shapes, Shape in, const float* const* x,
                         float* y, float* bn_y, float* act_y, std::vector<int32_t>& argmax,
                         ops::Workspace& ws) const {
  const std::vector<Node>& nodes = net_.nodes;
  const Node& nd = nodes[i];
  auto shape = [&](int j) { return j == kGraphInput ? in : shapes[j]; };
  const Shape xs = shape(nd.inputs[0]), ys = shapes[i];
  const float* xd = x[0];
  switch (nd.op) {
    case Op::Conv: {
      ops::conv_forward(nd, *conv_[i], xd, xs, y, ys, ws);
      const int b = fused_bn_[i], a = fused_act_[i];
      ops::conv_epilogue(nd, b >= 0 ? &nodes[b] : nullptr, a >= 0 ? &nodes[a] : nullptr, y, bn_y,
                         act_y, ys.plane());
      break;
    }
    case Op::BatchNorm: ops::batchnorm_forward(nd, xd, xs, y); break;
    case Op::ReLU:
    case Op::Clip: ops::activation_forward(nd, xd, xs.size(), y); break;
    case Op::MaxPool: ops::maxpool_forward(nd, xd, xs, y, ys, argmax, ws); break;
    case Op::AvgPool: ops::avgpool_forward(nd, xd, xs, y, ys); break;
    case Op::AdaptiveAvgPool: ops::adaptive_forward(xd, xs, y, ys); break;
    case Op::Add:
      std::copy(xd, xd + xs.size(), y);
      for (size_t s = 1; s < nd.inputs.size(); ++s)
        for (size_t k = 0; k < ys.size(); ++k) y[k] += x[s][k];
      break;
    case Op::Concat: {
      float* dst = y;
      for (size_t s = 0; s < nd.inputs.size(); ++s)
        dst = std::copy(x[s], x[s] + shape(nd.inputs[s]).size(), dst);
      break;
    }
    case Op::Flatten: ops::flatten_forward(nd, xd, xs, y); break;
    case Op::Linear:
      ops::linear_forward(nd, xd, y);
      add_linear_bias(nd, y);
      break;
    case Op::Identity: std::copy(xd, xd + xs.size(), y); break;
  }
}

bool Model::forward_batch(const float* inputs, Shape in, int count, std::vector<float>& logits,
                          ops::Workspace& ws, std::string* error) const {
  const std::vector<Shape> shapes = net_.shapes(in, error);
  if (shapes.empty() || count < 0) return false;
  const std::vector<Node>& nodes = net_.nodes;
  const int n = static_cast<int>(nodes.size());
  // The trunk, the nodes before the first Linear, runs picture by picture as forward() does:
  // one picture's activations stay in cache (node by node over a whole batch, every layer's
  // input came back from memory: 0.7x the single forward's throughput natively at N = 8) and
  // each picture's arithmetic is the single forward's. The head, from the first Linear on,
  // runs node by node over the whole batch so that each linear layer reads its weights once.
  int head = n;
  for (int i = 0; i < n && head == n; ++i)
    if (nodes[i].op == Op::Linear) head = i;
  // Liveness: the last node that reads each output (the logits: past the end).
  std::vector<int> last(n, -1);
  for (int i = 0; i < n; ++i)
    for (int j : nodes[i].inputs)
      if (j != kGraphInput) last[j] = std::max(last[j], i);
  last[n - 1] = n;
  // Buffers from a pool: each node's batch output lives from its node to its last reader.
  std::vector<std::vector<float>> pool;
  std::vector<int> free_list, buf(n, -1);
  auto take = [&](int i) {
    int b;
    if (free_list.empty()) {
      b = static_cast<int>(pool.size());
      pool.emplace_back();
    } else {
      b = free_list.back();
      free_list.pop_back();
    }
    pool[b].resize(shapes[i].size() * count);
    buf[i] = b;
  };
  auto data = [&](int j, int s) -> const float* {
    if (j == kGraphInput) return inputs + in.size() * s;
    return pool[buf[j]].data() + shapes[j].size() * s;
  };
  auto out = [&](int i, int s) { return pool[buf[i]].data() + shapes[i].size() * s; };

  // The trunk's outputs that the head reads (or the logits, when there is no head).
  std::vector<int> cut;
  for (int j = 0; j < head; ++j)
    if (last[j] >= head) {
      take(j);
      cut.push_back(j);
    }
  auto trunk = [&](int begin, int end, ops::Workspace& w) {
    Activations acts;
    for (int s = begin; s < end; ++s) {
      Tensor x;
      x.shape = in;
      x.data.assign(data(kGraphInput, s), data(kGraphInput, s) + in.size());
      forward_nodes(std::move(x), shapes, head, acts, w);
      for (int j : cut) std::copy(acts.out[j].data.begin(), acts.out[j].data.end(), out(j, s));
    }
  };
  // With several threads and at least as many pictures, each thread takes whole pictures: no
  // thread waits for another inside a layer (the kernels' own parallel_for runs serially when
  // nested, with the same results). Else one picture after another, each over all threads.
  const int threads = kernels::num_threads();
  if (threads > 1 && count >= threads) {
    if (static_cast<int>(ws.threads.size()) < threads - 1) ws.threads.resize(threads - 1);
    std::atomic<int> slot{0};
    kernels::parallel_for(count, [&](int begin, int end) {
      const int k = slot.fetch_add(1);
      trunk(begin, end, k == 0 ? ws : ws.threads[k - 1]);
    });
  } else {
    trunk(0, count, ws);
  }

  std::vector<int32_t> argmax;
  std::vector<const float*> x;
  for (int i = head; i < n; ++i) {
    if (fused_[i]) continue;
    const Node& nd = nodes[i];
    take(i);
    const int b = fused_bn_[i], a = fused_act_[i];  // -1 but for a conv's fused nodes
    if (b >= 0) take(b);
    if (a >= 0) take(a);
    if (nd.op == Op::Linear) {
      ops::linear_forward_batch(nd, data(nd.inputs[0], 0), count, out(i, 0));
      for (int s = 0; s < count; ++s) add_linear_bias(nd, out(i, s));
    } else {
      for (int s = 0; s < count; ++s) {
        x.clear();
        for (int j : nd.inputs) x.push_back(data(j, s));
        forward_node(i, shapes, in, x.data(), out(i, s), b >= 0 ? out(b, s) : nullptr,
                     a >= 0 ? out(a, s) : nullptr, argmax, ws);
      }
    }
    // Free what no later node reads: this step's inputs and the outputs it made (fused ones
    // included) whose last reader is in this step, or that nothing reads.
    const int done = a >= 0 ? a : (b >= 0 ? b : i);
    auto release = [&](int j) {
      if (j == kGraphInput || j == n - 1 || buf[j] < 0 || last[j] > done) return;
      free_list.push_back(buf[j]);
      buf[j] = -1;
    };
    for (int j : nd.inputs) release(j);
    for (int f : {i, b, a})
      if (f >= 0) release(f);
  }
  const size_t k = shapes[n - 1].size();
  logits.assign(pool[buf[n - 1]].begin(), pool[buf[n - 1]].begin() + k * count);
  return true;
}

void Model::send(const Activations& acts, int i, int slot, Gradients& g, ops::Workspace& ws) const {
  const Node& nd = net_.nodes[i];
  const int j = nd.inputs[slot];
  const Tensor& x = j == kGraphInput ? acts.input : acts.out[j];
  const Shape in = x.shape, out = acts.out[i].shape;
  const int k = static_cast<int>(g.classes.size());
  const size_t n_in = static_cast<size_t>(k) * in.size();
  std::vector<float>& dst = j == kGraphInput ? g.input : g.grad[j];
  // The first contribution is written in place; later ones go through scratch and are added.
  const bool add = !dst.empty();
  float* gx = add ? ops::Workspace::get(ws.grad, n_in) : (dst.resize(n_in), dst.data());
  const float* gy = g.grad[i].data();
  switch (nd.op) {
    case Op::Conv: ops::conv_backward(nd, *conv_[i], in, out, k, gy, gx, ws); break;
    case Op::BatchNorm: ops::batchnorm_backward(nd, in, k, gy, gx); break;
    case Op::ReLU:
    case Op::Clip:
      ops::activation_backward(nd, x.data.data(), in.size(), k, gy, gx, g.guided);
      break;
    case Op::MaxPool: ops::maxpool_backward(in, out, acts.argmax[i], k, gy, gx); break;
    case Op::AvgPool: ops::avgpool_backward(nd, in, out, k, gy, gx); break;
    case Op::AdaptiveAvgPool: ops::adaptive_backward(in, out, k, gy, gx); break;
    case Op::Add:
    case Op::Identity: std::copy(gy, gy + n_in, gx); break;
    case Op::Concat: {
      int c0 = 0;
      for (int s = 0; s < slot; ++s) {
        const int js = nd.inputs[s];
        c0 += (js == kGraphInput ? acts.input : acts.out[js]).shape.c;
      }
      ops::concat_backward(in, out, c0, k, gy, gx);
      break;
    }
    case Op::Flatten: ops::flatten_backward(nd, in, k, gy, gx); break;
    case Op::Linear: ops::linear_backward(nd, k, gy, gx); break;
  }
  if (add)
    for (size_t e = 0; e < n_in; ++e) dst[e] += gx[e];
}

void Model::backward_to(const Activations& acts, int target, Gradients& g, ops::Workspace& ws,
                        const std::vector<int>& classes, bool guided) const {
  const std::vector<Node>& nodes = net_.nodes;
  const int n = static_cast<int>(nodes.size());
  if (target < kGraphInput || target >= n || acts.out.size() != static_cast<size_t>(n)) return;
  const int k = static_cast<int>(acts.logits().shape.size());
  if (g.grad.empty()) {
    g.classes.clear();
    for (int c : classes)
      if (c >= 0 && c < k) g.classes.push_back(c);
    if (classes.empty())
      for (int c = 0; c < k; ++c) g.classes.push_back(c);
    g.guided = guided;
    g.grad.assign(n, {});
    g.input.clear();
    g.complete.assign(n, 0);
    g.input_complete = false;
    g.sent.assign(n, {});
    for (int i = 0; i < n; ++i) g.sent[i].assign(nodes[i].inputs.size(), 0);
    std::vector<float>& top = g.grad[n - 1];
    top.assign(g.classes.size() * k, 0.0f);
    for (size_t r = 0; r < g.classes.size(); ++r) top[r * k + g.classes[r]] = 1.0f;
    g.complete[n - 1] = 1;
  }
  if (g.has(target)) return;
  // The nodes between target and logits: descendants of the target that reach the logits.
  // Only their gradients are needed, and each is complete once its readers have sent theirs.
  std::vector<uint8_t> below(n, 0), reaches(n, 0);
  for (int i = target + 1; i < n; ++i)
    for (int j : nodes[i].inputs)
      if (j == target || (j > target && below[j])) below[i] = 1;
  reaches[n - 1] = 1;
  for (int i = n - 1; i > target; --i) {
    if (!reaches[i]) continue;
    for (int j : nodes[i].inputs)
      if (j != kGraphInput) reaches[j] = 1;
  }
  auto relevant = [&](int j) { return j == target || (j > target && below[j] && reaches[j]); };
  for (int i = n - 1; i > target; --i) {
    if (!relevant(i)) continue;
    g.complete[i] = 1;
    for (size_t s = 0; s < nodes[i].inputs.size(); ++s) {
      const int j = nodes[i].inputs[s];
      if (!relevant(j) || g.sent[i][s]) continue;
      send(acts, i, static_cast<int>(s), g, ws);
      g.sent[i][s] = 1;
    }
  }
  // A target that does not reach the logits (or an input nothing reads) gets zeros.
  std::vector<float>& t = target == kGraphInput ? g.input : g.grad[target];
  const Shape ts = target == kGraphInput ? acts.input.shape : acts.out[target].shape;
  if (t.empty()) t.assign(g.classes.size() * ts.size(), 0.0f);
  if (target == kGraphInput)
    g.input_complete = true;
  else
    g.complete[target] = 1;
}

size_t Model::weight_bytes() const {
  size_t b = 0;
  for (size_t i = 0; i < net_.nodes.size(); ++i) {
    const Node& nd = net_.nodes[i];
    b += 4 * (nd.weight.size() + nd.bias.size() + nd.mean.size() + nd.var.size() +
              nd.qscale.size()) +
         nd.qweight.size();
    if (conv_[i]) b += 4 * conv_[i]->fwd.size();
  }
  return b;
}

size_t Model::activation_bytes() const {
  size_t b = 0;
  for (const Shape& s : net_.shapes(net_.info.input)) b += 4 * s.size();
  return b;
}

std::string Model::conv_algo_name(int node) const {
  if (node < 0 || static_cast<size_t>(node) >= conv_.size() || !conv_[node]) return "";
  switch (conv_[node]->algo) {
    case ops::ConvAlgo::Winograd: return "winograd";
    case ops::ConvAlgo::Gemm: return "gemm";
    case ops::ConvAlgo::Depthwise: return "depthwise";
  }
  return "";
}

std::vector<float> softmax(const std::vector<float>& logits) {
  std::vector<float> p(logits.size());
  if (logits.empty()) return p;
  const float m = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) sum += std::exp(static_cast<double>(logits[i] - m));
  for (size_t i = 0; i < logits.size(); ++i)
    p[i] = static_cast<float>(std::exp(static_cast<double>(logits[i] - m)) / sum);
  return p;
}

}  // namespace camscope
