-- Turn every pandoc Note into an inline span at its call site, numbered per chapter.
-- WeasyPrint floats such spans to the page bottom (float: footnote); the EPUB renderer turns
-- them into pop-up notes. A chapter is a level-1 header with the class "chapter".
local chapter_slug = "book"
local number = 0

local function note_to_span(note)
  number = number + 1
  local inlines = pandoc.utils.blocks_to_inlines(note.content, { pandoc.Space() })
  local id = "fn-" .. chapter_slug .. "-" .. number
  return pandoc.Span(inlines, { id = id, class = "footnote", ["data-n"] = tostring(number) })
end

function Pandoc(doc)
  local blocks = {}
  for _, block in ipairs(doc.blocks) do
    if block.t == "Header" and block.level == 1 then
      chapter_slug = block.identifier
      number = 0
    end
    table.insert(blocks, pandoc.walk_block(block, { Note = note_to_span }))
  end
  doc.blocks = blocks
  return doc
end
