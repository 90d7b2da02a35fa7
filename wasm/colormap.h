// Colour maps and drawing helpers: heatmap -> RGB, alpha blending, feature-map grids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace camscope {

enum class Colormap { Jet, Turbo, Viridis, Gray };

// The colour map with this name ("jet", "turbo", "viridis", "gray"); false if unknown.
bool parse_colormap(const std::string& name, Colormap& out);

// RGB of t in [0, 1] (clamped; NaN -> 0).
void colormap_rgb(Colormap cm, float t, uint8_t rgb[3]);

// Heatmap overlay: map01 (width x height, values in [0, 1]) coloured and alpha-blended over
// the RGBA picture: out = (1 - alpha) * picture + alpha * colour; out alpha = 255.
void blend_overlay(const uint8_t* rgba, int width, int height, const float* map01, Colormap cm,
                   float alpha, uint8_t* out_rgba);

// Every channel of a C x H x W activation as one RGBA grid image: `cols` tiles per row,
// each tile H*scale x W*scale (nearest), `gap` pixels between tiles. Values normalised per
// channel (shared=false: v-min / max-min of that channel) or over all channels (shared=true).
// cols is capped at c. Gaps and unused tiles are dark gray (32, 32, 32, 255).
// Returns the pixels; grid size in *out_w x *out_h (empty and 0 x 0 on bad arguments).
std::vector<uint8_t> feature_grid(const float* chw, int c, int h, int w, int cols, int scale,
                                  int gap, bool shared, Colormap cm, int* out_w, int* out_h);

}  // namespace camscope
