"""The page style of the typesetting-check test pages (test_typeset_check.py, and the
pdf-check cases of test_diagnostic_codes.py): a 6x9 page whose classes provoke each defect."""

TYPESET_STYLE = """
@page { size: 6in 9in; margin: 0.75in; @bottom-center { content: counter(page); } }
body { font-family: "Linux Libertine O"; font-size: 11pt; line-height: 1.3; }
section { break-before: page; }
p { margin: 0 0 0.5em; text-align: justify; hyphens: manual; }
.broken { text-align: left; }
.nowrap { white-space: nowrap; }
pre { font-family: "Linux Libertine Mono O"; font-size: 9pt; }
table.wide { width: 118%; border-collapse: collapse; }
td { padding: 2pt; border: 0.5pt solid black; }
.notes { font-size: 8.5pt; margin: 0; text-align: left; }
.empty { height: 1pt; }
h2.low { margin-top: 5.5in; font-size: 20pt; }
img { display: block; }
"""
