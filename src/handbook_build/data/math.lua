-- Code spans of class "math" (math_marks.py wrote them so that <stem>.md stays inert) become
-- pandoc Math again, so --mathml writes MathML. An identifier ({#eq-x .math .display}) stays on
-- a span around the formula, for links to it.
function Code(code)
  if not code.classes:includes("math") then
    return nil
  end
  local kind = code.classes:includes("display") and "DisplayMath" or "InlineMath"
  local formula = pandoc.Math(kind, code.text)
  if code.identifier ~= "" then
    return pandoc.Span({ formula }, pandoc.Attr(code.identifier, { "math-labelled" }))
  end
  return formula
end
