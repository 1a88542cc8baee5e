-- core/documents.py's filter: only the caller's images (files in GMG_DOCUMENT_FOLDER named in
-- GMG_DOCUMENT_IMAGES), only http(s)/mailto links and links to identifiers that exist, and Word's
-- list styles on list paragraphs in Word (List Bullet, List Number, List Continue; levels 2 and 3;
-- Quote for block quotes).

local folder = os.getenv("GMG_DOCUMENT_FOLDER") or ""
local allowed = {}
for name in (os.getenv("GMG_DOCUMENT_IMAGES") or ""):gmatch("[^\n]+") do allowed[name] = true end
local types = { png = "image/png", jpg = "image/jpeg", jpeg = "image/jpeg", gif = "image/gif", svg = "image/svg+xml" }

local function image(img)
  if not allowed[img.src] then
    return pandoc.Span(img.caption)
  end
  local handle = io.open(folder .. "/" .. img.src, "rb")
  local data = handle:read("a")
  handle:close()
  pandoc.mediabag.insert(img.src, types[img.src:match("%.(%w+)$"):lower()], data)
  return img
end

local function style_name(kind, level)
  if level == 1 then return kind end
  return kind .. " " .. math.min(level, 3)
end

local function styled(list, kind, level)
  for i, item in ipairs(list.content) do
    local out, first = {}, true
    for _, block in ipairs(item) do
      if block.t == "BulletList" then
        table.insert(out, styled(block, "List Bullet", level + 1))
      elseif block.t == "OrderedList" then
        table.insert(out, styled(block, "List Number", level + 1))
      elseif block.t == "Para" or block.t == "Plain" then
        local style = first and style_name(kind, level) or style_name("List Continue", level)
        table.insert(out, pandoc.Div({ pandoc.Para(block.content) }, { ["custom-style"] = style }))
        first = false
      else
        table.insert(out, block)
      end
    end
    list.content[i] = out
  end
  return list
end

function Pandoc(doc)
  local ids = {}
  local function note(el) if el.identifier and el.identifier ~= "" then ids[el.identifier] = true end end
  doc:walk({ Header = note, Div = note, Span = note, CodeBlock = note, Table = note, Figure = note })
  doc = doc:walk({
    Image = image,
    Link = function(link)
      local target = link.target
      local internal = target:match("^#(.+)$")
      if (internal and ids[internal]) or target:match("^https?://") or target:match("^mailto:") then
        return link
      end
      return pandoc.Span(link.content)
    end,
  })
  if FORMAT ~= "docx" then return doc end
  return doc:walk({
    traverse = "topdown",
    BulletList = function(l) return styled(l, "List Bullet", 1), false end,
    OrderedList = function(l) return styled(l, "List Number", 1), false end,
    BlockQuote = function(q) return pandoc.Div(q.content, { ["custom-style"] = "Quote" }) end,
  })
end
