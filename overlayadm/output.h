/*
 * Output tables, iproute2 style: a subcommand declares its fields once and
 * adds rows; the same rows print as aligned text (dladm's look: upper-case
 * headers, "--" for an empty value), as parsable lines (-p: the -o fields
 * only, colon-separated, a ':' or '\' inside a value escaped with '\', no
 * header), or as JSON (-j: an array of objects keyed by the lower-case
 * field names). -o selects and orders fields by name, case-insensitively,
 * "all" for every field; an unknown field is an error naming it.
 *
 * Long listings stream: render_page() prints the rows added since the last
 * page and forgets them, so memory holds one page. Pages together print
 * what render() would for all their rows, except that text columns take
 * their widths from the first page (a wider value later shifts only its
 * own line).
 */
#ifndef OVERLAYADM_OUTPUT_H
#define OVERLAYADM_OUTPUT_H

#include <string>
#include <vector>

namespace overlayadm {

enum class Format { text, parsable, json };

class Table {
public:
    explicit Table(std::vector<std::string> fields); /* lower-case names */
    /* Choose fields from a -o list; throws std::invalid_argument naming a bad one. */
    void select(const std::string& olist);
    void add(std::vector<std::string> row); /* one value per declared field */
    std::string render(Format f) const;
    /* The rows added since the last page, then forgets them (first: header / "["). */
    std::string render_page(Format f, bool first, bool last);
    static std::string escape(const std::string& v); /* parsable escaping */

private:
    std::vector<std::string> fields_;
    std::vector<size_t> shown_;
    std::vector<std::vector<std::string>> rows_;
    std::vector<size_t> page_width_; /* text widths fixed by the first page */
};

} // namespace overlayadm

#endif
