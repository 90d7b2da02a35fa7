// Hand-computed oracles for the CAM methods, map resizing/normalisation, preprocessing and
// colour maps (whole-network comparisons with PyTorch live in the golden tests).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "colormap.h"
#include "maps.h"
#include "methods/methods.h"
#include "preprocess.h"

namespace camscope {
namespace {

// Expects two float vectors to match elementwise within tol.
void expect_near(const std::vector<float>& got, const std::vector<float>& want, float tol = 1e-6f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

// ---------------------------------------------------------------- upsample_bilinear

TEST(UpsampleBilinear, TwoByTwoToFourByFour) {
  // Half-pixel centres, scale 0.5: sources -0.25 (clamped to 0), 0.25, 0.75, 1.25 -> per-axis
  // weights (1, 0), (.75, .25), (.25, .75), (0, 1). With v(y, x) = x + 2y the result is
  // px + 2 py for positions p = 0, .25, .75, 1.
  const std::vector<float> src = {0, 1, 2, 3};
  const std::vector<float> want = {0.0f, 0.25f, 0.75f, 1.0f,  //
                                   0.5f, 0.75f, 1.25f, 1.5f,  //
                                   1.5f, 1.75f, 2.25f, 2.5f,  //
                                   2.0f, 2.25f, 2.75f, 3.0f};
  expect_near(upsample_bilinear(src.data(), 2, 2, 4, 4), want, 0.0f);
}

TEST(UpsampleBilinear, ShrinkWithoutAntialiasing) {
  // 3 -> 2 along x: scale 1.5, sources 0.25 and 1.75: (.75 a + .25 b), (.25 b + .75 c).
  const std::vector<float> src = {4, 8, 16};
  expect_near(upsample_bilinear(src.data(), 1, 3, 1, 2), {5.0f, 14.0f});
}

TEST(UpsampleBilinear, NonSquareAndIdentity) {
  // 1 x 2 -> 3 x 3: the single row is copied to every output row; x sources are
  // -1/6 (-> 0), 0.5, 7/6 (-> index 1 with itself).
  const std::vector<float> src = {2, 6};
  expect_near(upsample_bilinear(src.data(), 1, 2, 3, 3), {2, 4, 6, 2, 4, 6, 2, 4, 6});
  // Same size: a copy.
  const std::vector<float> m = {1, -2, 3.5f, 7, 0, 9};
  expect_near(upsample_bilinear(m.data(), 2, 3, 2, 3), m, 0.0f);
  // A 1 x 1 map becomes a constant.
  const float one = 0.3f;
  expect_near(upsample_bilinear(&one, 1, 1, 2, 3), std::vector<float>(6, 0.3f), 0.0f);
}

TEST(UpsampleBilinear, InvalidSizesGiveEmpty) {
  const float v = 1.0f;
  EXPECT_TRUE(upsample_bilinear(&v, 1, 1, 0, 4).empty());
  EXPECT_TRUE(upsample_bilinear(nullptr, 1, 1, 4, 4).empty());
}

// ---------------------------------------------------------------- resize_bilinear_aa

TEST(ResizeBilinearAA, ShrinkByTwoUsesStretchedTriangle) {
  // 4 -> 2: scale 2, support 2. Output 0: centre 1, inputs [0, 3) with tri((j - 0.5) / 2) =
  // .75, .75, .25 -> (3, 3, 1) / 7. Output 1: centre 3, inputs [1, 4): (1, 3, 3) / 7.
  const std::vector<float> src = {0, 7, 14, 21};
  expect_near(resize_bilinear_aa(src.data(), 1, 1, 4, 1, 2), {5.0f, 16.0f}, 1e-5f);
  // The same along y (a 4 x 1 column).
  expect_near(resize_bilinear_aa(src.data(), 1, 4, 1, 2, 1), {5.0f, 16.0f}, 1e-5f);
}

TEST(ResizeBilinearAA, ShrinkByThree) {
  // 6 -> 2: scale 3. Output 0: centre 1.5, inputs [0, 5) with tri((j - 1) / 3) =
  // 2/3, 1, 2/3, 1/3, 0 (sum 8/3) -> (2, 3, 2, 1, 0) / 8. Output 1: centre 4.5, inputs
  // [2, 6) with tri((j - 4) / 3) = 1/3, 2/3, 1, 2/3 -> (1, 2, 3, 2) / 8.
  const std::vector<float> src = {8, 0, 16, 0, 0, 24};
  const float o0 = (2 * 8 + 3 * 0 + 2 * 16 + 1 * 0 + 0 * 0) / 8.0f;
  const float o1 = (1 * 16 + 2 * 0 + 3 * 0 + 2 * 24) / 8.0f;
  expect_near(resize_bilinear_aa(src.data(), 1, 1, 6, 1, 2), {o0, o1}, 1e-5f);
}

TEST(ResizeBilinearAA, EnlargeMatchesPlainBilinear) {
  // Enlarging uses the plain triangle (support 1): 2 -> 4 gives a, .75a+.25b, .25a+.75b, b.
  const std::vector<float> src = {4, 8};
  expect_near(resize_bilinear_aa(src.data(), 1, 1, 2, 1, 4), {4, 5, 7, 8}, 1e-6f);
}

TEST(ResizeBilinearAA, SeparableAndPerChannel) {
  // Two channels, 3 x 5 -> 2 x 2. Channel 0 is constant (weights sum to 1, so it stays
  // constant); channel 1 varies along x only, so every output row is the 1-D x resize.
  const int h = 3, w = 5;
  std::vector<float> src(2 * h * w);
  const std::vector<float> row = {1, 5, 2, 8, 3};
  for (int i = 0; i < h * w; ++i) {
    src[i] = 2.5f;
    src[h * w + i] = row[i % w];
  }
  const std::vector<float> row2 = resize_bilinear_aa(row.data(), 1, 1, w, 1, 2);
  ASSERT_EQ(row2.size(), 2u);
  const std::vector<float> out = resize_bilinear_aa(src.data(), 2, h, w, 2, 2);
  expect_near(out, {2.5f, 2.5f, 2.5f, 2.5f, row2[0], row2[1], row2[0], row2[1]}, 1e-5f);
  // Same size: identity.
  expect_near(resize_bilinear_aa(src.data(), 2, h, w, h, w), src, 0.0f);
}

// ---------------------------------------------------------------- preprocess

TEST(Preprocess, SameSizeNormalisesAndIgnoresAlpha) {
  // 2 x 1 RGBA picture, already the target size: (v / 255 - mean) / std per channel.
  const uint8_t rgba[] = {255, 0, 51, 9, 0, 255, 102, 200};
  const std::vector<float> mean = {0.5f, 0.25f, 0.0f};
  const std::vector<float> sd = {0.5f, 0.25f, 0.2f};
  const Tensor t = preprocess(rgba, 2, 1, 4, 1, 2, mean, sd);
  EXPECT_EQ(t.shape, (Shape{3, 1, 2}));
  expect_near(t.data, {1.0f, -1.0f, -1.0f, 3.0f, 1.0f, 2.0f}, 1e-6f);
  // The same pixels as RGB give the same tensor.
  const uint8_t rgb[] = {255, 0, 51, 0, 255, 102};
  expect_near(preprocess(rgb, 2, 1, 3, 1, 2, mean, sd).data, t.data, 0.0f);
}

TEST(Preprocess, ResizesBeforeNormalising) {
  // A 4 x 1 gray ramp shrunk to 2 x 1: weights (3, 3, 1) / 7 and (1, 3, 3) / 7.
  const uint8_t rgb[] = {0, 0, 0, 70, 70, 70, 140, 140, 140, 210, 210, 210};
  const Tensor t = preprocess(rgb, 4, 1, 3, 1, 2, {0, 0, 0}, {1, 1, 1});
  EXPECT_EQ(t.shape, (Shape{3, 1, 2}));
  const float a = 50.0f / 255.0f, b = 160.0f / 255.0f;
  expect_near(t.data, {a, b, a, b, a, b}, 1e-6f);
}

TEST(Preprocess, RejectsBadArguments) {
  const uint8_t px[8] = {};
  EXPECT_TRUE(preprocess(px, 2, 1, 2, 1, 2, {0, 0, 0}, {1, 1, 1}).data.empty());
  EXPECT_TRUE(preprocess(px, 2, 1, 3, 1, 2, {0, 0, 0}, {1, 1}).data.empty());
  EXPECT_TRUE(preprocess(px, 0, 1, 3, 1, 2, {0, 0, 0}, {1, 1, 1}).data.empty());
}

// ---------------------------------------------------------------- CAM methods

// Two channels on a 2 x 2 grid (CHW).
const std::vector<float> kA = {1, 2, 3, 4, /**/ 4, 3, 2, 1};
const std::vector<float> kG = {1, 1, 1, 1, /**/ -1, 0, -1, 0};

TEST(Cam, GradCamByHand) {
  // w = (mean(1,1,1,1), mean(-1,0,-1,0)) = (1, -0.5); 1*A0 - 0.5*A1 = (-1, .5, 2, 3.5).
  expect_near(gradcam_weights(kG.data(), 2, 4), {1.0f, -0.5f}, 0.0f);
  std::vector<float> out(4, -7.0f);
  gradcam(kA.data(), kG.data(), 2, 4, out.data());
  expect_near(out, {0.0f, 0.5f, 2.0f, 3.5f}, 0.0f);
}

TEST(Cam, LayerCamIsReluGradTimesActivation) {
  // relu(G0) * A0 + relu(G1) * A1 = A0 + 0.
  std::vector<float> out(4);
  layercam(kA.data(), kG.data(), 2, 4, out.data());
  expect_near(out, {1, 2, 3, 4}, 0.0f);
  // The grad * A^2 variant differs here: relu(A0^2 + G1 * A1^2) = (0, 4, 5, 16).
  std::vector<float> grad_a2(4);
  for (int p = 0; p < 4; ++p) {
    grad_a2[p] = std::max(0.0f, kG[p] * kA[p] * kA[p] + kG[4 + p] * kA[4 + p] * kA[4 + p]);
  }
  expect_near(grad_a2, {0, 4, 5, 16}, 0.0f);
  for (int p = 0; p < 4; ++p) EXPECT_NE(out[p], grad_a2[p]);
}

TEST(Cam, LayerCamMixedSignsPerPosition) {
  // Negative gradients drop out position by position, before the channel sum:
  // channel 0 gives relu(2, -3, 0.5) * (1, 5, -4) = (2, 0, -2), channel 1 gives
  // relu(1, -1, 1) * (3, 1, 1) = (3, 0, 1).
  const std::vector<float> a = {1, 5, -4, /**/ 3, 1, 1};
  const std::vector<float> g = {2, -3, 0.5f, /**/ 1, -1, 1};
  std::vector<float> out(3);
  layercam(a.data(), g.data(), 2, 3, out.data());
  // Sum (5, 0, -1) -> final ReLU -> (5, 0, 0).
  expect_near(out, {5, 0, 0}, 0.0f);
}

// The map of a registered layer method on kA, kG.
std::vector<float> map_of(const char* name, const std::vector<float>& a = kA,
                          const std::vector<float>& g = kG, int c = 2) {
  const Method* m = find_method(name);
  EXPECT_NE(m, nullptr) << name;
  if (m == nullptr || m->map == nullptr) return {};
  const int hw = static_cast<int>(a.size()) / c;
  std::vector<float> out(static_cast<size_t>(hw), -7.0f);
  m->map(a.data(), g.data(), c, hw, out.data());
  return out;
}

TEST(Cam, GradCamFamilyByHand) {
  // HiResCAM: sum_k G_k A_k = (1 - 4, 2 + 0, 3 - 2, 4 + 0) -> ReLU.
  expect_near(map_of("hirescam"), {0, 2, 1, 4}, 0.0f);
  // Element-wise: sum_k ReLU(G_k A_k) = A0 + 0.
  expect_near(map_of("gradcam_ew"), {1, 2, 3, 4}, 0.0f);
  // XGrad-CAM: S = (10, 10); w = (10 / 10, -6 / 10); A0 - 0.6 A1 = (-1.4, .2, 1.8, 3.4).
  expect_near(map_of("xgradcam"), {0, 0.2f, 1.8f, 3.4f}, 1e-6f);
  // Grad-CAM++: channel 0 has G = 1: a = 1 / (2 + 10 + 1e-6), w0 = 4a; channel 1 has no G > 0.
  const float w0 = static_cast<float>(4.0 / (12.0 + 1e-6));
  expect_near(map_of("gradcampp"), {w0, 2 * w0, 3 * w0, 4 * w0}, 1e-6f);
  // Against the class: Grad-CAM with w = (-1, 0.5): -A0 + 0.5 A1 = (1, -.5, -2, -3.5).
  expect_near(map_of("gradcam_neg"), {1, 0, 0, 0}, 0.0f);
  // Layer-CAM against the class: ReLU(-G1) A1 = (4, 0, 2, 0).
  expect_near(map_of("layercam_neg"), {4, 0, 2, 0}, 0.0f);
}

TEST(Cam, EigenCamSignFollowsTheActivity) {
  // Both channels grow along the positions: the principal axis's projection must too.
  const std::vector<float> a = {1, 2, 3, 4, /**/ 2, 4, 6, 9};
  const std::vector<float> m = map_of("eigencam", a, a);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0], 0.0f);
  EXPECT_GT(m[3], m[2]);
  EXPECT_GT(m[2], 0.0f);
  // Negated activations fall along the positions: the map flips with them.
  std::vector<float> na(a.size());
  for (size_t i = 0; i < a.size(); ++i) na[i] = -a[i];
  const std::vector<float> n = map_of("eigencam", na, na);
  EXPECT_GT(n[0], n[1]);
  EXPECT_EQ(n[3], 0.0f);
  // All-equal activations: no principal axis, an empty map (not NaN).
  const std::vector<float> flat(8, 3.0f);
  expect_near(map_of("eigencam", flat, flat), {0, 0, 0, 0}, 0.0f);
}

TEST(Cam, GradientPictures) {
  // deprocess_image: (g - 2.5) / (sqrt(1.25) + 1e-5) * 0.1 + 0.5, times 255 truncated; grey.
  const std::vector<float> g = {1, 2, 3, 4};
  std::vector<uint8_t> rgb(12);
  gradient_rgb(g.data(), 1, 2, 2, rgb.data());
  const uint8_t want[4] = {93, 116, 138, 161};
  for (int p = 0; p < 4; ++p)
    for (int ch = 0; ch < 3; ++ch) EXPECT_EQ(rgb[p * 3 + ch], want[p]) << p;
  // Saliency: max over channels of |g|.
  const std::vector<float> two = {1, -5, 2, 0, /**/ -3, 4, 1, 0};
  expect_near(gradient_magnitude(two.data(), 2, 4), {3, 5, 2, 0}, 0.0f);
}

TEST(Cam, Registry) {
  const std::vector<Method>& m = methods();
  ASSERT_GE(m.size(), 15u);
  EXPECT_EQ(std::string(m[0].name), "gradcam");
  EXPECT_EQ(std::string(m[0].title), "Grad-CAM");
  EXPECT_EQ(m[0].map, &gradcam);
  EXPECT_EQ(std::string(m[1].name), "layercam");
  EXPECT_EQ(m[1].map, &layercam);
  std::set<std::string> names;
  for (const Method& x : m) {
    EXPECT_TRUE(names.insert(x.name).second) << x.name << " registered twice";
    EXPECT_EQ(find_method(x.name), &x);
    // A layer method has a map; the others are computed by the Session.
    EXPECT_EQ(x.kind == MethodKind::Layer, x.map != nullptr) << x.name;
    EXPECT_TRUE(x.per_class || !x.gradients) << x.name << ": gradients of which class?";
  }
  EXPECT_FALSE(find_method("eigencam")->gradients);
  EXPECT_FALSE(find_method("eigencam")->per_class);
  EXPECT_EQ(find_method("gradcam++"), nullptr);
  EXPECT_EQ(find_method(""), nullptr);
}

// ---------------------------------------------------------------- stats and normalisation

TEST(MapStats, RangeAndEmpty) {
  const std::vector<float> v = {0.5f, -1.0f, 2.0f, 0.0f};
  const MapStats s = map_stats(v.data(), 4);
  EXPECT_FALSE(s.empty);
  EXPECT_EQ(s.min, -1.0f);
  EXPECT_EQ(s.max, 2.0f);
  const std::vector<float> z = {0.0f, -0.0f, 0.0f};
  EXPECT_TRUE(map_stats(z.data(), 3).empty);
  EXPECT_TRUE(map_stats(v.data(), 0).empty);
  const float tiny = 1e-30f;
  EXPECT_FALSE(map_stats(&tiny, 1).empty);
}

TEST(NormaliseMaps, PerMapSharedNone) {
  const std::vector<float> a0 = {0, 2, 4};
  const std::vector<float> b0 = {1, 1};
  std::vector<float> a = a0, b = b0;
  std::vector<std::vector<float>*> maps = {&a, &b};
  normalise_maps(maps, Norm::PerMap);
  expect_near(a, {0, 0.5f, 1}, 0.0f);
  expect_near(b, {1, 1}, 0.0f);
  a = a0, b = b0;
  normalise_maps(maps, Norm::Shared);
  expect_near(a, {0, 0.5f, 1}, 0.0f);
  expect_near(b, {0.25f, 0.25f}, 0.0f);
  a = a0, b = b0;
  normalise_maps(maps, Norm::None);
  expect_near(a, a0, 0.0f);
  expect_near(b, b0, 0.0f);
}

TEST(NormaliseMaps, ZeroMapsStayZeroNotNaN) {
  std::vector<float> z = {0, 0, 0, 0};
  std::vector<float> b = {0, 3};
  std::vector<std::vector<float>*> maps = {&z, &b};
  normalise_maps(maps, Norm::PerMap);
  expect_near(z, {0, 0, 0, 0}, 0.0f);
  expect_near(b, {0, 1}, 0.0f);
  // Shared with every map zero: the shared divisor is zero.
  std::vector<float> z2 = {0, 0};
  std::vector<std::vector<float>*> zeros = {&z, &z2};
  normalise_maps(zeros, Norm::Shared);
  for (float v : z) EXPECT_EQ(v, 0.0f);
  for (float v : z2) EXPECT_EQ(v, 0.0f);
}

// ---------------------------------------------------------------- colour maps

// RGB of t under a colour map.
std::vector<int> rgb_of(Colormap cm, float t) {
  uint8_t c[3];
  colormap_rgb(cm, t, c);
  return {c[0], c[1], c[2]};
}

TEST(Colormap, Endpoints) {
  const std::vector<int> dark_blue = {0, 0, 128};
  const std::vector<int> dark_red = {128, 0, 0};
  EXPECT_EQ(rgb_of(Colormap::Jet, 0.0f), dark_blue);
  EXPECT_EQ(rgb_of(Colormap::Jet, 1.0f), dark_red);
  EXPECT_EQ(rgb_of(Colormap::Gray, 0.0f), (std::vector<int>{0, 0, 0}));
  EXPECT_EQ(rgb_of(Colormap::Gray, 0.5f), (std::vector<int>{128, 128, 128}));
  EXPECT_EQ(rgb_of(Colormap::Gray, 1.0f), (std::vector<int>{255, 255, 255}));
  // matplotlib's viridis starts dark purple and ends yellow; turbo starts dark blue-violet.
  EXPECT_EQ(rgb_of(Colormap::Viridis, 0.0f), (std::vector<int>{68, 1, 84}));
  EXPECT_EQ(rgb_of(Colormap::Viridis, 1.0f), (std::vector<int>{253, 231, 37}));
  EXPECT_EQ(rgb_of(Colormap::Turbo, 0.0f), (std::vector<int>{48, 18, 59}));
}

TEST(Colormap, NearestEntryClampAndNaN) {
  // Entry i sits at t = i / 255; t rounds to the nearest entry.
  EXPECT_EQ(rgb_of(Colormap::Gray, 100.0f / 255.0f)[0], 100);
  EXPECT_EQ(rgb_of(Colormap::Gray, 100.49f / 255.0f)[0], 100);
  EXPECT_EQ(rgb_of(Colormap::Gray, 100.51f / 255.0f)[0], 101);
  EXPECT_EQ(rgb_of(Colormap::Jet, -3.0f), rgb_of(Colormap::Jet, 0.0f));
  EXPECT_EQ(rgb_of(Colormap::Jet, 7.0f), rgb_of(Colormap::Jet, 1.0f));
  EXPECT_EQ(rgb_of(Colormap::Jet, std::nanf("")), rgb_of(Colormap::Jet, 0.0f));
  // jet's middle is green.
  const std::vector<int> mid = rgb_of(Colormap::Jet, 0.5f);
  EXPECT_GT(mid[1], 200);
}

TEST(Colormap, Parse) {
  Colormap cm = Colormap::Gray;
  EXPECT_TRUE(parse_colormap("jet", cm));
  EXPECT_EQ(cm, Colormap::Jet);
  EXPECT_TRUE(parse_colormap("turbo", cm));
  EXPECT_EQ(cm, Colormap::Turbo);
  EXPECT_TRUE(parse_colormap("viridis", cm));
  EXPECT_EQ(cm, Colormap::Viridis);
  EXPECT_TRUE(parse_colormap("gray", cm));
  EXPECT_EQ(cm, Colormap::Gray);
  EXPECT_FALSE(parse_colormap("hot", cm));
  EXPECT_EQ(cm, Colormap::Gray);
}

TEST(BlendOverlay, AlphaEndsAndMiddle) {
  const uint8_t pic[] = {100, 50, 200, 7, /**/ 0, 255, 10, 0};
  const float map[] = {1.0f, 0.0f};
  uint8_t out[8];
  blend_overlay(pic, 2, 1, map, Colormap::Gray, 0.0f, out);
  EXPECT_EQ(std::vector<int>(out, out + 8), (std::vector<int>{100, 50, 200, 255, 0, 255, 10, 255}));
  blend_overlay(pic, 2, 1, map, Colormap::Jet, 1.0f, out);
  EXPECT_EQ(std::vector<int>(out, out + 8), (std::vector<int>{128, 0, 0, 255, 0, 0, 128, 255}));
  // Half way over gray: (p + c) / 2 rounded: (100+255)/2 = 177.5 -> 178, (0 + 0) / 2 = 0 ...
  blend_overlay(pic, 2, 1, map, Colormap::Gray, 0.5f, out);
  EXPECT_EQ(std::vector<int>(out, out + 8), (std::vector<int>{178, 153, 228, 255, 0, 128, 5, 255}));
  // In place works.
  uint8_t buf[8];
  std::copy(pic, pic + 8, buf);
  blend_overlay(buf, 2, 1, map, Colormap::Gray, 0.5f, buf);
  EXPECT_EQ(std::vector<int>(buf, buf + 8), std::vector<int>(out, out + 8));
}

// ---------------------------------------------------------------- feature grid

// RGBA of grid pixel (x, y).
std::vector<int> px(const std::vector<uint8_t>& img, int gw, int x, int y) {
  const uint8_t* p = img.data() + (static_cast<size_t>(y) * gw + x) * 4;
  return {p[0], p[1], p[2], p[3]};
}

TEST(FeatureGrid, LayoutPerChannelAndShared) {
  // Three 1 x 2 channels, 2 columns, scale 2, gap 1: tiles 4 x 2, grid 9 x 5.
  const std::vector<float> chw = {0, 10, /**/ 5, 5, /**/ -1, 1};
  int gw = 0, gh = 0;
  const std::vector<uint8_t> img =
      feature_grid(chw.data(), 3, 1, 2, 2, 2, 1, false, Colormap::Gray, &gw, &gh);
  ASSERT_EQ(gw, 9);
  ASSERT_EQ(gh, 5);
  ASSERT_EQ(img.size(), 9u * 5u * 4u);
  const std::vector<int> black = {0, 0, 0, 255}, white = {255, 255, 255, 255};
  const std::vector<int> bg = {32, 32, 32, 255};
  // Channel 0 (tile at 0, 0): min -> black block 2 x 2, max -> white block.
  EXPECT_EQ(px(img, gw, 0, 0), black);
  EXPECT_EQ(px(img, gw, 1, 1), black);
  EXPECT_EQ(px(img, gw, 2, 0), white);
  EXPECT_EQ(px(img, gw, 3, 1), white);
  // Gap column 4 and gap row 2.
  for (int y = 0; y < gh; ++y) EXPECT_EQ(px(img, gw, 4, y), bg) << y;
  for (int x = 0; x < gw; ++x) EXPECT_EQ(px(img, gw, x, 2), bg) << x;
  // Channel 1 (tile at 5, 0) is constant -> all 0 -> black.
  for (int x = 5; x < 9; ++x) EXPECT_EQ(px(img, gw, x, 0), black);
  // Channel 2 (tile at 0, 3): -1 -> black, 1 -> white.
  EXPECT_EQ(px(img, gw, 0, 3), black);
  EXPECT_EQ(px(img, gw, 3, 4), white);
  // The unused fourth tile is background.
  EXPECT_EQ(px(img, gw, 6, 4), bg);

  // Shared: one range -1 .. 10 over all channels. 0 -> 1/11 -> round(255/11) = 23;
  // 5 -> 6/11 -> round(139.09) = 139; -1 -> 0; 1 -> 2/11 -> 46; 10 -> 255.
  const std::vector<uint8_t> sh =
      feature_grid(chw.data(), 3, 1, 2, 2, 2, 1, true, Colormap::Gray, &gw, &gh);
  EXPECT_EQ(px(sh, gw, 0, 0)[0], 23);
  EXPECT_EQ(px(sh, gw, 2, 0)[0], 255);
  EXPECT_EQ(px(sh, gw, 5, 0)[0], 139);
  EXPECT_EQ(px(sh, gw, 0, 3)[0], 0);
  EXPECT_EQ(px(sh, gw, 2, 3)[0], 46);
}

TEST(FeatureGrid, InvalidArgumentsGiveEmpty) {
  const float v = 1.0f;
  int gw = -1, gh = -1;
  EXPECT_TRUE(feature_grid(&v, 1, 1, 1, 0, 1, 0, false, Colormap::Jet, &gw, &gh).empty());
  EXPECT_EQ(gw, 0);
  EXPECT_EQ(gh, 0);
}

}  // namespace
}  // namespace camscope
