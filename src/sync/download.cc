#include "sync/download.h"

namespace ctdl {

Status RunDownload(const DownloadOptions&, const DownloadContext&) {
  return Unimplemented("download is not built yet");
}

}  // namespace ctdl
