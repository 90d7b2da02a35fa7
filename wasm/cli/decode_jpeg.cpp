// JPEG through libjpeg-turbo, the decoder PIL and Chromium use, with PIL's settings, so that
// the CLI's pixels equal PIL's: libjpeg's defaults (ISLOW integer IDCT, fancy upsampling,
// block smoothing), no scaling; CMYK as PIL reads and converts it. libjpeg reports fatal
// errors through error_exit, which by default calls exit(): ours longjmps back instead.
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // before jpeglib.h, which uses FILE and size_t without including them
#include <cstring>

// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include "decoders.h"

namespace camscope {
namespace {

// A progressive JPEG can hold thousands of tiny scans and take minutes to decode; real
// pictures have about ten. libjpeg-turbo's TurboJPEG API uses the same limit.
constexpr int kMaxScans = 500;
// Ceiling for libjpeg's own allocations (coefficient buffers of a progressive picture are
// 2 bytes per sample: a 50-megapixel CMYK picture needs 400 MB).
constexpr long kMaxJpegMemory = 1L << 30;

// libjpeg's error manager plus where to jump and what went wrong. `err` must stay first:
// libjpeg hands our callbacks a pointer to it.
struct JpegContext {
  jpeg_error_mgr err;
  jpeg_progress_mgr progress;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

// Fatal error: keep libjpeg's message and unwind to decode_jpeg's setjmp.
[[noreturn]] void on_error(j_common_ptr cinfo) {
  JpegContext* ctx = reinterpret_cast<JpegContext*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, ctx->message);
  std::longjmp(ctx->jump, 1);
}

// Warnings are ignored (as PIL ignores them: corrupt data is decoded as best it can), except
// running out of data: PIL refuses a truncated file ("image file is truncated"), so do we.
void on_message(j_common_ptr cinfo, int level) {
  if (level == -1 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
    JpegContext* ctx = reinterpret_cast<JpegContext*>(cinfo->err);
    std::snprintf(ctx->message, sizeof ctx->message, "the file ends early (truncated)");
    std::longjmp(ctx->jump, 1);
  }
}

// Called by libjpeg while it reads scans: refuses files with absurd numbers of scans.
void on_progress(j_common_ptr cinfo) {
  if (!cinfo->is_decompressor) return;
  const auto* d = reinterpret_cast<j_decompress_ptr>(cinfo);
  if (d->input_scan_number > kMaxScans) {
    JpegContext* ctx = reinterpret_cast<JpegContext*>(cinfo->err);
    std::snprintf(ctx->message, sizeof ctx->message,
                  "progressive JPEG with more than %d scans refused", kMaxScans);
    std::longjmp(ctx->jump, 1);
  }
}

// PIL's cmyk2rgb (Convert.c) on PIL's CMYK, which is the file's samples inverted ("CMYK;I",
// Adobe's convention, assumed for every 4-component JPEG): with s the stored sample,
// C = 255 - sC, nk = 255 - K = sK, R = nk - round(C * nk / 255) in PIL's MULDIV255.
uint8_t pil_cmyk_channel(unsigned stored_c, unsigned stored_k) {
  const unsigned c = 255 - stored_c;
  const unsigned nk = stored_k;
  const unsigned t = c * nk + 128;
  const unsigned muldiv = (t + (t >> 8)) >> 8;
  return static_cast<uint8_t>(nk - muldiv);  // muldiv <= nk: no clipping needed
}

// The part that runs under setjmp: everything it touches after a longjmp lives in the
// caller's frame (cinfo, ctx, out, row), so no local of this frame is read after the jump.
bool run_decoder(jpeg_decompress_struct& cinfo, JpegContext& ctx, const uint8_t* data, size_t size,
                 Decoded& out, std::vector<uint8_t>& row, std::string& error) {
  if (setjmp(ctx.jump) != 0) {
    error = std::string("cannot decode JPEG: ") + ctx.message;
    return false;
  }
  jpeg_create_decompress(&cinfo);
  cinfo.mem->max_memory_to_use = kMaxJpegMemory;
  cinfo.progress = &ctx.progress;
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
  jpeg_read_header(&cinfo, TRUE);
  if (!check_picture_size(cinfo.image_width, cinfo.image_height, error)) return false;
  // PIL: 1 component is "L", 3 "RGB", 4 "CMYK" (decoded as CMYK, libjpeg undoing YCCK).
  switch (cinfo.num_components) {
    case 1: cinfo.out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo.out_color_space = JCS_RGB; break;
    case 4: cinfo.out_color_space = JCS_CMYK; break;
    default:
      error = "cannot decode JPEG: " + std::to_string(cinfo.num_components) +
              " colour components (1, 3 or 4 are read)";
      return false;
  }
  // PIL takes the first APP1 segment starting "Exif\0" as the picture's EXIF.
  for (jpeg_saved_marker_ptr m = cinfo.marker_list; m != nullptr; m = m->next) {
    if (m->marker == JPEG_APP0 + 1 && m->data_length >= 5 && std::memcmp(m->data, "Exif", 5) == 0) {
      out.orientation = exif_orientation(m->data, m->data_length);
      break;
    }
  }
  jpeg_start_decompress(&cinfo);
  const int w = static_cast<int>(cinfo.output_width);
  const int h = static_cast<int>(cinfo.output_height);
  const int nc = cinfo.output_components;
  if (!check_picture_size(w, h, error)) return false;
  out.width = w;
  out.height = h;
  out.channels = 3;
  out.px.resize(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
  row.resize(static_cast<size_t>(w) * static_cast<size_t>(nc));
  while (cinfo.output_scanline < cinfo.output_height) {
    const size_t y = cinfo.output_scanline;
    JSAMPROW rows[1] = {row.data()};
    if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
      error = "cannot decode JPEG: no scanline";
      return false;
    }
    uint8_t* dst = out.px.data() + y * static_cast<size_t>(w) * 3;
    const uint8_t* src = row.data();
    for (int x = 0; x < w; ++x, dst += 3, src += nc) {
      if (nc == 1) {
        dst[0] = dst[1] = dst[2] = src[0];
      } else if (nc == 3) {
        dst[0] = src[0];
        dst[1] = src[1];
        dst[2] = src[2];
      } else {
        dst[0] = pil_cmyk_channel(src[0], src[3]);
        dst[1] = pil_cmyk_channel(src[1], src[3]);
        dst[2] = pil_cmyk_channel(src[2], src[3]);
      }
    }
  }
  // No jpeg_finish_decompress: like PIL, a picture whose scanlines are all there is done even
  // if bytes after them are missing.
  return true;
}

// Frees libjpeg's state however decoding ended (safe on a struct never created: libjpeg
// checks its memory manager pointer, which the zeroed struct has as null).
struct JpegGuard {
  jpeg_decompress_struct* cinfo;
  ~JpegGuard() { jpeg_destroy_decompress(cinfo); }
};

}  // namespace

bool decode_jpeg(const uint8_t* data, size_t size, Decoded& out, std::string& error) {
  jpeg_decompress_struct cinfo{};
  JpegContext ctx{};
  cinfo.err = jpeg_std_error(&ctx.err);
  ctx.err.error_exit = on_error;
  ctx.err.emit_message = on_message;
  ctx.progress.progress_monitor = on_progress;
  std::vector<uint8_t> row;
  out = Decoded();
  JpegGuard guard{&cinfo};
  const bool ok = run_decoder(cinfo, ctx, data, size, out, row, error);
  if (!ok) out = Decoded();
  return ok;
}

}  // namespace camscope
