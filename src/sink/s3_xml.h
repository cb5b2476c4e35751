// Just enough XML for S3 replies (ListObjectsV2, InitiateMultipartUpload, errors). S3 replies are
// flat and machine-written; this is a tag scanner, not a parser. Bytes are untrusted: functions never
// crash on malformed input, they just find nothing. Views point into the caller's string.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ctdl {

// Inner text of every <tag>...</tag> (also <tag attr="..">), in order, not nested.
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
// Inner text of the first <tag>, unescaped; nullopt if absent.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);
// &amp; &lt; &gt; &quot; &apos; &#N; &#xN; -> bytes (unknown entities are kept as written).
std::string XmlUnescape(std::string_view text);
std::string XmlEscape(std::string_view text);

// <Error><Code>..</Code><Message>..</Message></Error>; empty strings when absent.
struct S3Error {
  std::string code;
  std::string message;
};
S3Error ParseS3Error(std::string_view body);

}  // namespace ctdl
