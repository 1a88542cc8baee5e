-- core/documents.py's filter: only the caller's images (files in GMG_DOCUMENT_FOLDER named in
-- GMG_DOCUMENT_IMAGES), only http(s)/mailto links (and links within the document in Word), and Word's
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
        table.insert(out, pandoc.Div({ block.t == "Para" and block or pandoc.Para(block.content) }, { ["custom-style"] = style }))
        first = false
      else
        table.insert(out, block)
      end
    end
    list.content[i] = out
  end
  return list
end

-- Typed functions only (pandoc hands Lua just the matching elements): much faster than doc:walk.
-- Links within the document stay in Word only (Typst refuses a link to a label that is missing).
local function link(el)
  local target = el.target
  if target:match("^https?://") or target:match("^mailto:") or (FORMAT == "docx" and target:match("^#.")) then
    return nil
  end
  return pandoc.Span(el.content)
end

local filters = { { Image = image, Link = link } }
if FORMAT == "docx" then
  table.insert(filters, {
    traverse = "topdown",
    BulletList = function(l) return styled(l, "List Bullet", 1), false end,
    OrderedList = function(l) return styled(l, "List Number", 1), false end,
    BlockQuote = function(q) return pandoc.Div(q.content, { ["custom-style"] = "Quote" }) end,
  })
end
return filters
