#include "sink/s3_xml.h"

#include <charconv>

namespace ctdl {

std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag) {
  std::vector<std::string_view> out;
  std::string open = "<" + std::string(tag);
  std::string close = "</" + std::string(tag) + ">";
  size_t pos = 0;
  while (true) {
    size_t s = xml.find(open, pos);
    if (s == std::string_view::npos) break;
    size_t after = s + open.size();
    if (after >= xml.size()) break;
    char c = xml[after];
    if (c != '>' && c != ' ' && c != '/') {  // <KeyCount> is not <Key>
      pos = after;
      continue;
    }
    size_t gt = xml.find('>', after);
    if (gt == std::string_view::npos) break;
    if (xml[gt - 1] == '/') {  // <Tag/>
      out.push_back(xml.substr(gt + 1, 0));
      pos = gt + 1;
      continue;
    }
    size_t e = xml.find(close, gt + 1);
    if (e == std::string_view::npos) break;
    out.push_back(xml.substr(gt + 1, e - gt - 1));
    pos = e + close.size();
  }
  return out;
}

std::optional<std::string> XmlText(std::string_view xml, std::string_view tag) {
  auto v = XmlElements(xml, tag);
  if (v.empty()) return std::nullopt;
  return XmlUnescape(v[0]);
}

namespace {
void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}
}  // namespace

std::string XmlUnescape(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); i++) {
    if (t[i] != '&') {
      out.push_back(t[i]);
      continue;
    }
    size_t semi = t.find(';', i);
    if (semi == std::string_view::npos || semi - i > 10) {
      out.push_back('&');
      continue;
    }
    std::string_view ent = t.substr(i + 1, semi - i - 1);
    char rep = 0;
    if (ent == "amp") rep = '&';
    else if (ent == "lt") rep = '<';
    else if (ent == "gt") rep = '>';
    else if (ent == "quot") rep = '"';
    else if (ent == "apos") rep = '\'';
    if (rep) {
      out.push_back(rep);
      i = semi;
      continue;
    }
    if (ent.size() >= 2 && ent[0] == '#') {
      uint32_t cp = 0;
      bool hex = ent[1] == 'x' || ent[1] == 'X';
      std::string_view num = ent.substr(hex ? 2 : 1);
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), cp, hex ? 16 : 10);
      if (ec == std::errc() && p == num.data() + num.size() && !num.empty() && cp <= 0x10FFFF) {
        AppendUtf8(&out, cp);
        i = semi;
        continue;
      }
    }
    out.push_back('&');
  }
  return out;
}

std::string XmlEscape(std::string_view t) {
  std::string out;
  for (char c : t) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

S3Error ParseS3Error(std::string_view body) {
  S3Error e;
  auto err = XmlElements(body, "Error");
  std::string_view scope = err.empty() ? body : err[0];
  e.code = XmlText(scope, "Code").value_or("");
  e.message = XmlText(scope, "Message").value_or("");
  if (e.code.size() > 100) e.code.resize(100);
  if (e.message.size() > 300) e.message.resize(300);
  return e;
}

}  // namespace ctdl
