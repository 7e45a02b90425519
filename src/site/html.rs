//! HTML helpers shared by every page: escaping, the page shell, relative links, and the two
//! assets (stylesheet, table script). No template engine: the pages are small and the
//! escaping is in one place.

/// Escapes text for HTML element content and double-quoted attributes.
pub fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

/// A file name for an id: ids that are already safe in a URL and a file name are kept, others
/// are hex-encoded (ids are slugs today; this keeps pages valid if a table allows more).
pub fn slug(id: &str) -> String {
    let safe = !id.is_empty()
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if safe {
        id.to_string()
    } else {
        format!("x-{}", crate::export::hex(id.as_bytes()))
    }
}

/// The prefix that leads from a page `depth` directories deep back to the site root.
pub fn root(depth: usize) -> String {
    "../".repeat(depth)
}

pub fn record_href(depth: usize, table: &str, id: &str) -> String {
    format!("{}records/{}/{}.html", root(depth), slug(table), slug(id))
}

pub fn table_href(depth: usize, table: &str) -> String {
    format!("{}tables/{}.html", root(depth), slug(table))
}

pub fn link(href: &str, text: &str) -> String {
    format!("<a href=\"{}\">{}</a>", esc(href), esc(text))
}

/// A whole page: `title` in <title> and <h1>, a navigation bar, `body`, and the dataset
/// version in the footer. `script` adds the table script.
pub fn page(depth: usize, title: &str, version: &str, body: &str, script: bool) -> Vec<u8> {
    let r = root(depth);
    let js = if script {
        format!("<script src=\"{r}assets/table.js\"></script>\n")
    } else {
        String::new()
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{t} — pillars</title>\n<link rel=\"stylesheet\" href=\"{r}assets/site.css\">\n</head>\n<body>\n\
<header><nav aria-label=\"Site\"><a href=\"{r}index.html\">pillars</a> · \
<a href=\"{r}index.html#tables\">Tables</a> · <a href=\"{r}index.html#charts\">Charts</a> · \
<a href=\"{r}index.html#download\">Download</a> · <a href=\"{r}index.html#cite\">Cite</a></nav></header>\n\
<main>\n<h1>{t}</h1>\n{body}</main>\n<footer><p>pillars dataset version {v}. \
Data licensed CC BY 4.0.</p></footer>\n{js}</body>\n</html>\n",
        t = esc(title),
        v = esc(version),
    )
    .into_bytes()
}

pub const CSS: &str = r#"body { font-family: system-ui, sans-serif; margin: 0; color: #1a1a1a; background: #fff; line-height: 1.45; }
header { background: #1f3b5c; padding: .6em 1em; }
header a { color: #fff; }
main { padding: 0 1em 2em; max-width: 90em; }
footer { border-top: 1px solid #ccc; padding: .5em 1em; color: #444; font-size: .9em; }
table { border-collapse: collapse; margin: .5em 0 1em; }
th, td { border: 1px solid #ccc; padding: .25em .5em; vertical-align: top; text-align: left; }
thead th { background: #eef2f6; position: sticky; top: 0; }
th button { font: inherit; font-weight: bold; background: none; border: 0; padding: 0; cursor: pointer; }
tr.dropped td { color: #555; }
.scroll { overflow-x: auto; }
.charts figure { display: inline-block; margin: 0 1em 1em 0; vertical-align: top; }
.charts img { max-width: 100%; height: auto; border: 1px solid #ddd; }
.note { color: #444; font-size: .95em; }
label { font-weight: bold; }
"#;

/// Sorting by a column and filtering rows, for every `table.data` of a page. Without
/// JavaScript the table is complete and readable; the script only adds the controls.
pub const JS: &str = r#"'use strict';
(function () {
  function text(row, i) { var c = row.cells[i]; return c ? c.textContent.trim() : ''; }
  function compare(a, b) {
    var x = parseFloat(a), y = parseFloat(b);
    if (a !== '' && b !== '' && !isNaN(x) && !isNaN(y) && String(x) === a.replace(/\.0+$/, '') && String(y) === b.replace(/\.0+$/, '')) return x - y;
    return a.localeCompare(b);
  }
  document.querySelectorAll('table.data').forEach(function (table, n) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = th.textContent;
      th.textContent = '';
      th.appendChild(b);
      th.setAttribute('aria-sort', 'none');
      b.addEventListener('click', function () {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        Array.prototype.forEach.call(heads, function (h) { h.setAttribute('aria-sort', 'none'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) { var d = compare(text(r1, i), text(r2, i)); return asc ? d : -d; });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    var label = document.createElement('label');
    var id = 'filter-' + n;
    label.htmlFor = id;
    label.textContent = 'Filter rows: ';
    var input = document.createElement('input');
    input.type = 'search';
    input.id = id;
    var count = document.createElement('span');
    count.setAttribute('role', 'status');
    var p = document.createElement('p');
    p.appendChild(label); p.appendChild(input); p.appendChild(document.createTextNode(' ')); p.appendChild(count);
    table.parentNode.insertBefore(p, table);
    function update() {
      var q = input.value.toLowerCase(), shown = 0;
      Array.prototype.forEach.call(body.rows, function (r) {
        var hit = r.textContent.toLowerCase().indexOf(q) !== -1;
        r.hidden = !hit;
        if (hit) shown++;
      });
      count.textContent = shown + ' of ' + body.rows.length + ' rows';
    }
    input.addEventListener('input', update);
    update();
  });
})();
"#;
