// WebP through libwebp as Pillow 9.4 reads it: the animation decoder (which also reads still
// pictures), RGBA not premultiplied, libwebp's default (fancy) upsampling, first frame only;
// the EXIF chunk's orientation as PIL's getexif() reads it.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>

#include "decoders.h"

namespace camscope {
namespace {

using AnimDecoder = std::unique_ptr<WebPAnimDecoder, void (*)(WebPAnimDecoder*)>;
using Demuxer = std::unique_ptr<WebPDemuxer, void (*)(WebPDemuxer*)>;

}  // namespace

bool decode_webp(const uint8_t* data, size_t size, Decoded& out, std::string& error) {
  out = Decoded();
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK) {
    error = "cannot decode WebP: not a WebP picture libwebp can read (damaged or truncated?)";
    return false;
  }
  if (!check_picture_size(features.width, features.height, error)) return false;
  const WebPData whole = {data, size};

  WebPAnimDecoderOptions options;
  if (!WebPAnimDecoderOptionsInit(&options)) {
    error = "cannot decode WebP: libwebp version mismatch";
    return false;
  }
  options.color_mode = MODE_RGBA;
  options.use_threads = 0;
  AnimDecoder dec(WebPAnimDecoderNew(&whole, &options), &WebPAnimDecoderDelete);
  WebPAnimInfo info;
  if (!dec || !WebPAnimDecoderGetInfo(dec.get(), &info)) {
    error = "cannot decode WebP: the file is damaged or truncated";
    return false;
  }
  if (info.canvas_width != static_cast<uint32_t>(features.width) ||
      info.canvas_height != static_cast<uint32_t>(features.height)) {
    error = "cannot decode WebP: inconsistent picture size";
    return false;
  }
  uint8_t* frame = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(dec.get(), &frame, &timestamp) || frame == nullptr) {
    error = "cannot decode WebP: the file is damaged or truncated";
    return false;
  }
  out.width = features.width;
  out.height = features.height;
  out.channels = 4;
  out.px.assign(frame, frame + static_cast<size_t>(out.width) * out.height * 4);

  // PIL: info["exif"] is the EXIF chunk (WebPDemuxGetChunk, first one).
  Demuxer demux(WebPDemux(&whole), &WebPDemuxDelete);
  WebPChunkIterator chunk;
  if (demux && WebPDemuxGetChunk(demux.get(), "EXIF", 1, &chunk)) {
    out.orientation = exif_orientation(chunk.chunk.bytes, chunk.chunk.size);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  return true;
}

}  // namespace camscope
