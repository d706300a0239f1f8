/*
 * import-mappings' input: an import file read one line at a time, so a file
 * of ten million lines needs the memory of one line and one batch.
 *
 * Formats (overlayadm(8)): CSV lines "mac,ip[,port[,arp[,ndp[,dhcp-proxy[,ttl]]]]]"
 * (empty fields allowed, an optional header line starting with "mac") or
 * JSON lines, one object per line with the members of overlay_files(5)
 * ("ip", "port", "arp", "ndp", "dhcp-proxy") plus "mac" and "ttl". The first
 * line that is neither blank nor a '#' comment decides: '{' is JSON lines.
 * Blank lines and '#' comments are skipped in both. Every mapping is checked
 * here, as varpd will check it (varpd's text.h), so a bad line is reported
 * as "FILE:LINE: reason" before anything of it reaches varpd.
 *
 * Progress: a line on stderr for long imports; on a terminal one line
 * rewritten in place ("imported N of ~M lines (P%), R lines/s"), elsewhere
 * a line every ~10% or 5 seconds. The total is an estimate from the file's
 * size and the bytes per line so far (unknown for a pipe).
 */
#ifndef OVERLAYADM_IMPORT_H
#define OVERLAYADM_IMPORT_H

#include "mapping.h"

#include <chrono>
#include <cstdint>
#include <istream>
#include <stdexcept>
#include <string>

namespace overlayadm {

class ImportError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class ImportReader {
  public:
    /* name: how errors call the file ("FILE:LINE: ..."). */
    ImportReader(std::istream& in, std::string name) : in_(in), name_(std::move(name)) {}
    /* The next mapping, checked; false at the end. Throws ImportError. */
    bool next(varpd::MappingText& m);
    uint64_t line() const { return line_; }
    uint64_t bytes() const { return bytes_; }

  private:
    [[noreturn]] void bad(const std::string& why) const;
    void csv(const std::string& l, varpd::MappingText& m) const;
    void json(const std::string& l, varpd::MappingText& m) const;

    std::istream& in_;
    std::string name_;
    uint64_t line_ = 0, bytes_ = 0;
    enum { unknown, is_csv, is_json } format_ = unknown;
};

class Progress {
  public:
    /* size: the file's bytes (0: unknown); quiet: print nothing. */
    Progress(uint64_t size, bool quiet, int fd = 2);
    void update(uint64_t lines, uint64_t bytes); /* cheap when nothing is due */
    void done(uint64_t lines, uint64_t bytes);   /* the final line (long imports only) */

  private:
    std::string text(uint64_t lines, uint64_t bytes) const;
    uint64_t size_;
    bool quiet_, tty_;
    int fd_;
    bool shown_ = false;
    int next_tenth_ = 1;
    std::chrono::steady_clock::time_point start_, last_;
};

} // namespace overlayadm

#endif
