// The network as a graph: nodes with named inputs (earlier nodes or the picture) and one
// output each, in topological order, as the weights file describes them (format:
// weights/README.md). Plain data: shapes, parameters and float32 weights. What is derived
// from it for speed (fusion, algorithms, packed weights) lives in plan.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tensor.h"

namespace camscope {

enum class Op {
  Conv,             // Conv2d: groups, stride, padding per side, dilation, optional bias
  BatchNorm,        // BatchNorm2d in inference mode
  ReLU,             // max(x, 0)
  Clip,             // min(max(x, lo), hi): ReLU6, Hardtanh
  MaxPool,          // MaxPool2d: padding (-inf), dilation, ceil_mode
  AvgPool,          // AvgPool2d: padding, ceil_mode, count_include_pad
  AdaptiveAvgPool,  // AdaptiveAvgPool2d, any output size (PyTorch's window rule)
  Add,              // element-wise sum of two or more inputs of one shape
  Concat,           // inputs stacked along channels
  Flatten,          // C x H x W -> (C*H*W) x 1 x 1, in NCHW (PyTorch) or NHWC (Keras) order
  Linear,           // y = W x (+ b)
  Identity,         // Dropout at inference, Identity
};

// The op's name in the weights file (version 2).
const char* op_name(Op op);

// Sliding-window geometry of convolutions and pools, PyTorch's semantics.
struct Window {
  int kh = 1, kw = 1;                  // kernel
  int sh = 1, sw = 1;                  // stride
  int pt = 0, pl = 0, pb = 0, pr = 0;  // padding: top, left, bottom, right
  int dh = 1, dw = 1;                  // dilation
  bool ceil_mode = false;              // pools: output size rounded up (PyTorch's rule)
  // Output length along one axis: input n, kernel k, stride s, padding p0 + p1, dilation d;
  // 0 if the window does not fit.
  static int out_len(int n, int k, int s, int p0, int p1, int d, bool ceil_mode);
  // Output height and width for an input of h x w (0 where it does not fit).
  int out_h(int h) const { return out_len(h, kh, sh, pt, pb, dh, ceil_mode); }
  int out_w(int w) const { return out_len(w, kw, sw, pl, pr, dw, ceil_mode); }
};

// The index in Node::inputs that stands for the network's input picture.
constexpr int kGraphInput = -1;

// One node: an op, its inputs and its parameters, its output named like the module that
// produced it (PyTorch: "features.10", "layer4.1.conv2"; Keras: "block5_conv3").
struct Node {
  std::string name;
  // Other names of the same output: the enclosing modules whose output it is ("layer4",
  // "layer4.1" for the last ReLU of ResNet's last block).
  std::vector<std::string> aliases;
  Op op = Op::Identity;
  std::string kind;         // the type as the file wrote it ("dropout", "relu6", ...), for display
  std::vector<int> inputs;  // node indices (each smaller than this node's), or kGraphInput
  // Conv / Linear: channels (features); BatchNorm: cin == cout == channels.
  int cin = 0, cout = 0, groups = 1;
  bool has_bias = true;
  Window win;                     // conv, maxpool, avgpool
  bool count_include_pad = true;  // avgpool
  int oh = 0, ow = 0;             // adaptiveavgpool output size
  float eps = 1e-5f;              // batchnorm
  float lo = 0.0f, hi = 6.0f;     // clip
  bool nhwc = false;              // flatten order
  std::vector<float> weight;      // conv (COUT, CIN/G, KH, KW); linear (OUT, IN); batchnorm gamma
  std::vector<float> bias;        // conv/linear bias (empty without); batchnorm beta
  std::vector<float> mean, var;   // batchnorm running statistics
  std::vector<int8_t> qweight;    // see kKeepInt8MinWeights and float_weight
  std::vector<float> qscale;
  // Convs stored int8 in the file (but depthwise ones, whose loops read `weight`) keep the
  // int8 values and one scale per output channel instead of `weight` (left empty): their
  // float weights are read only to pack the forward weights at load and the backward ones on
  // first use (float_weight), so holding them as float32 beside the packed copies cost 4x
  // the bytes for nothing (the shipped model: 9.9 MB at load, 2.5 as int8).
  // Large linear layers stored int8 in the file keep the int8 values (OUT, IN) and one scale
  // per row instead of `weight` (left empty); the kernels dequantise as float(q) * scale,
  // exactly as the loader would. Natively from 2^20 weights (a quarter of the bytes to read);
  // in WebAssembly only from 2^26 (256 MiB as float32): there V8's int8 -> float widening
  // makes the GEMV compute-bound and slower (README "Performance": torchvision AlexNet's
  // 9216 x 4096 and 4096 x 4096 layers as float32 took its forward from 197 to 138 ms), so
  // int8 is kept only where float32 would cost memory a tab cannot spare (VGG16's
  // 25088 x 4096 layer; its 4096 x 4096 one costs 64 MiB as float32).
#if defined(__wasm__)
  static constexpr size_t kKeepInt8MinWeights = size_t{1} << 26;
#else
  static constexpr size_t kKeepInt8MinWeights = size_t{1} << 20;
#endif
  // The weights as float32: `weight` itself, or `qweight` dequantised into `scratch` as the
  // loader dequantises an int8 tensor (float(q) * the scale of its row), bit for bit.
  const float* float_weight(std::vector<float>& scratch) const;
  // True for a conv whose every group has one input channel (depthwise).
  bool depthwise() const {
    return op == Op::Conv && groups > 1 && groups == cin;
  }
};

// How a picture becomes the network's input (the "preprocessing descriptor").
enum class Resize {
  BilinearAA,  // antialiased bilinear: PIL's BILINEAR, torch's antialias=True
  Nearest,     // PIL's NEAREST (Keras's load_img default)
};

// Resize rule name in the weights file ("bilinear_aa", "nearest").
const char* resize_name(Resize r);

// What the weights file says about the network besides its nodes.
struct NetInfo {
  std::string name;
  Shape input;  // preprocessing target, e.g. 3 x 224 x 224
  // input = ((pixel / 255) * range - mean) / std per channel, pixel the resized 8-bit value:
  // range 1 with ImageNet mean/std (torchvision), 255 with mean only (Keras "caffe").
  std::vector<float> mean, std;
  float range = 1.0f;
  bool bgr = false;  // channel order of the input (Keras "caffe": BGR)
  Resize resize = Resize::BilinearAA;
  std::vector<std::string> classes;
};

// A loaded network: nodes in topological order; the last node's output is the logits.
struct Net {
  NetInfo info;
  std::vector<Node> nodes;
  // Index of the node with this name or alias, or -1.
  int find(const std::string& name) const;
  // Output shape of every node for an input of shape `in`; empty (with `error`) if a node
  // cannot take its inputs.
  std::vector<Shape> shapes(Shape in, std::string* error = nullptr) const;
  // True if no node has more than one input and each reads the one before it.
  bool is_chain() const;
  // The layer a page or CLI explains by default: in a chain the last conv with a spatial
  // output (AlexNet's last conv; for a Keras conv with a fused activation, the layer's own
  // output after it: VGG16's block5_conv3), otherwise the last node with a spatial output that
  // is not a pool (a block's output: ResNet's layer4). -1 if there is none.
  int default_layer() const;
};

// Checks the graph's structure: node names and aliases unique and not "input", every input
// an earlier node or the picture, each op's input count, parameters in range, weights of the
// right sizes. One message naming the node on failure.
bool validate_graph(const Net& net, std::string& error);

}  // namespace camscope
