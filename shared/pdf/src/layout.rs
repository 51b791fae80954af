//! Laying the blocks out on A4 pages (first, so the page count is known), then drawing them
//! with the structure tree built as they are drawn.

use std::num::NonZeroU16;

use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point};
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, ListNumbering, Node, SpanTag, TableHeaderScope, Tag,
    TagGroup, TagKind, TagTree,
};
use krilla::text::{GlyphId, KrillaGlyph};
use skrifa::instance::{LocationRef, Size};
use skrifa::{FontRef, MetadataProvider};

use crate::{Block, Document, Faces, Table};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 56.7;
const CELL_PAD: f32 = 3.0;

/// Advance widths of one face.
pub(crate) struct Metrics {
    font: FontRef<'static>,
}

impl Metrics {
    pub(crate) fn new(data: &'static [u8]) -> Option<Self> {
        FontRef::new(data).ok().map(|font| Metrics { font })
    }

    /// The width of `text` at `size` points (no kerning, so never narrower than drawn).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let map = self.font.charmap();
        let gm = self
            .font
            .glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| gm.advance_width(self.glyph(&map, c)).unwrap_or(size * 0.5))
            .sum()
    }

    /// The glyph drawn for `c`: a character the face has no glyph for (a control character, a
    /// script it does not cover) is drawn as `?` but still read as itself, since PDF/UA refuses
    /// the empty `.notdef` glyph (and the whole document with it).
    fn glyph(&self, map: &skrifa::charmap::Charmap, c: char) -> skrifa::GlyphId {
        map.map(c)
            .filter(|g| g.to_u32() != 0)
            .or_else(|| map.map('?'))
            .unwrap_or_default()
    }

    /// The glyphs of `text`, one per character, with their advances at one point (krilla
    /// scales them) and the part of the text each stands for (which readers extract).
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        let map = self.font.charmap();
        let gm = self
            .font
            .glyph_metrics(Size::new(1.0), LocationRef::default());
        text.char_indices()
            .map(|(i, c)| {
                let id = self.glyph(&map, c);
                let advance = gm.advance_width(id).unwrap_or(0.5);
                let range = i..i + c.len_utf8();
                KrillaGlyph::new(
                    GlyphId::new(id.to_u32()),
                    advance,
                    0.0,
                    0.0,
                    0.0,
                    range,
                    None,
                )
            })
            .collect()
    }
}

/// The sizes of a document, in points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sizes {
    /// Body text.
    pub text: f32,
    /// The running head and the page numbers.
    pub small: f32,
}

impl Sizes {
    /// Large print grows everything by half.
    pub fn new(text: f32, large_print: bool) -> Self {
        let text = if text > 0.0 { text } else { 11.0 };
        let scale = if large_print { 1.5 } else { 1.0 };
        Sizes {
            text: text * scale,
            small: 8.5 * scale,
        }
    }

    fn heading(&self, level: u8) -> f32 {
        match level {
            1 => self.text * 1.6,
            2 => self.text * 1.3,
            _ => self.text * 1.1,
        }
    }

    fn leading(size: f32) -> f32 {
        size * 1.35
    }

    fn top(&self) -> f32 {
        MARGIN + self.small
    }

    fn bottom(&self) -> f32 {
        PAGE_H - MARGIN + self.small
    }
}

/// One line of text on a page, a leaf of the structure tree.
struct Line {
    page: usize,
    x: f32,
    y: f32,
    bold: bool,
    size: f32,
    text: String,
    /// A repeated table header: drawn as an artifact, not in the tree.
    artifact: bool,
}

/// A horizontal rule under a table row (an artifact).
struct Rule {
    page: usize,
    x1: f32,
    x2: f32,
    y: f32,
}

/// The structure tree as laid out: leaves are indices into the lines.
enum SNode {
    Group(TagKind, Vec<SNode>),
    Leaf(usize),
}

pub(crate) struct Laid {
    lines: Vec<Line>,
    rules: Vec<Rule>,
    pages: usize,
    tree: Vec<SNode>,
    /// Level, text, page and top of each heading: the document outline (bookmarks).
    headings: Vec<(u8, String, usize, f32)>,
}

struct Cursor<'a> {
    faces: &'a Faces,
    sizes: Sizes,
    page: usize,
    y: f32,
    lines: Vec<Line>,
    rules: Vec<Rule>,
    /// Whether anything was placed on the current page.
    used: bool,
    headings: Vec<(u8, String, usize, f32)>,
}

fn wrap(metrics: &Metrics, text: &str, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        // The line's width so far, so each word is measured once.
        let mut line_w = 0.0;
        let space = metrics.width(" ", size);
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let word_w = metrics.width(word, size);
            let candidate_w = if line.is_empty() {
                word_w
            } else {
                line_w + space + word_w
            };
            if candidate_w <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_w = candidate_w;
                continue;
            }
            if !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            // A word wider than the line is broken where it must be.
            for c in word.chars() {
                line.push(c);
                if metrics.width(&line, size) > width && line.chars().count() > 1 {
                    let last = line.pop().unwrap_or(' ');
                    out.push(std::mem::take(&mut line));
                    line.push(last);
                }
            }
            line_w = metrics.width(&line, size);
        }
        out.push(line);
    }
    out
}

impl Cursor<'_> {
    fn metrics(&self, bold: bool) -> &Metrics {
        if bold {
            &self.faces.bold_metrics
        } else {
            &self.faces.regular_metrics
        }
    }

    fn new_page(&mut self) {
        self.page += 1;
        self.y = self.sizes.top();
        self.used = false;
    }

    fn ensure(&mut self, height: f32) {
        if self.used && self.y + height > self.sizes.bottom() {
            self.new_page();
        }
    }

    fn push_line(&mut self, x: f32, bold: bool, size: f32, text: String, artifact: bool) -> usize {
        self.lines.push(Line {
            page: self.page,
            x,
            y: self.y + size,
            bold,
            size,
            text,
            artifact,
        });
        self.lines.len() - 1
    }

    /// Wrapped text at `x`, `width` wide, each line a leaf; pages break between lines.
    fn text(&mut self, text: &str, x: f32, width: f32, bold: bool, size: f32) -> Vec<SNode> {
        let lead = Sizes::leading(size);
        let mut leaves = Vec::new();
        for line in wrap(self.metrics(bold), text, size, width) {
            self.ensure(lead);
            if !line.is_empty() {
                leaves.push(SNode::Leaf(self.push_line(x, bold, size, line, false)));
            }
            self.y += lead;
            self.used = true;
        }
        leaves
    }

    fn gap(&mut self, space: f32) {
        if self.used {
            self.y += space;
        }
    }

    fn block(&mut self, block: &Block) -> Option<SNode> {
        let width = PAGE_W - 2.0 * MARGIN;
        let body = self.sizes.text;
        match block {
            Block::Heading { level, text } => {
                let level = (*level).clamp(1, 6);
                let size = self.sizes.heading(level);
                self.gap(body * 0.8);
                // Keep a heading with the first lines after it.
                self.ensure(Sizes::leading(size) + 3.0 * Sizes::leading(body));
                self.headings.push((level, text.clone(), self.page, self.y));
                let leaves = self.text(text, MARGIN, width, true, size);
                self.y += body * 0.3;
                let level = NonZeroU16::new(level.into()).unwrap_or(NonZeroU16::MIN);
                Some(SNode::Group(
                    Tag::Hn(level, Some(text.clone())).into(),
                    leaves,
                ))
            }
            Block::Paragraph(text) | Block::Strong(text) => {
                let bold = matches!(block, Block::Strong(_));
                let leaves = self.text(text, MARGIN, width, bold, body);
                self.y += body * 0.6;
                Some(SNode::Group(Tag::P.into(), leaves))
            }
            Block::List(items) => {
                let indent = body * 1.4;
                let mut children = Vec::new();
                for item in items {
                    self.ensure(Sizes::leading(body));
                    let bullet =
                        self.push_line(MARGIN + body * 0.3, false, body, "•".into(), false);
                    let leaves = self.text(item, MARGIN + indent, width - indent, false, body);
                    self.y += body * 0.25;
                    children.push(SNode::Group(
                        Tag::LI.into(),
                        vec![
                            SNode::Group(Tag::Lbl.into(), vec![SNode::Leaf(bullet)]),
                            SNode::Group(Tag::LBody.into(), leaves),
                        ],
                    ));
                }
                self.y += body * 0.4;
                Some(SNode::Group(Tag::L(ListNumbering::Disc).into(), children))
            }
            Block::Table(t) => Some(self.table(t, width)),
            Block::PageBreak => {
                if self.used {
                    self.new_page();
                }
                None
            }
        }
    }

    fn column_widths(&self, t: &Table, width: f32) -> Vec<f32> {
        let size = self.sizes.text;
        let cols = t
            .rows
            .iter()
            .map(Vec::len)
            .chain([t.header.len()])
            .max()
            .unwrap_or(1)
            .max(1);
        let mut natural = vec![0f32; cols];
        let mut least = vec![0f32; cols];
        let rows = std::iter::once((&t.header, true)).chain(t.rows.iter().map(|r| (r, false)));
        for (row, header) in rows {
            for (i, cell) in row.iter().enumerate() {
                let bold = header || (t.row_headers && i == 0);
                let m = self.metrics(bold);
                let pad = 2.0 * CELL_PAD;
                for line in cell.split('\n') {
                    natural[i] = natural[i].max((m.width(line, size) + pad).min(width));
                }
                for word in cell.split_whitespace() {
                    least[i] = least[i].max((m.width(word, size) + pad).min(width / 3.0));
                }
            }
        }
        let total: f32 = natural.iter().sum();
        if total <= width {
            return natural.iter().map(|n| n * width / total.max(1.0)).collect();
        }
        let least_total: f32 = least.iter().sum();
        if least_total >= width {
            return least
                .iter()
                .map(|l| l * width / least_total.max(1.0))
                .collect();
        }
        let spare = width - least_total;
        let wants: f32 = natural.iter().zip(&least).map(|(n, l)| n - l).sum();
        natural
            .iter()
            .zip(&least)
            .map(|(n, l)| l + (n - l) * spare / wants.max(1.0))
            .collect()
    }

    /// One row: cells side by side, split across pages only when taller than what is left
    /// of a fresh page. The header row is drawn again (as an artifact) on each new page.
    fn row(&mut self, cells: &[String], widths: &[f32], header: bool, t: &Table) -> SNode {
        let size = self.sizes.text;
        let lead = Sizes::leading(size);
        let wrapped: Vec<(bool, Vec<String>)> = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let bold = header || (t.row_headers && i == 0);
                let text = cells.get(i).map(String::as_str).unwrap_or("");
                let lines = wrap(self.metrics(bold), text, size, w - 2.0 * CELL_PAD);
                (bold, lines)
            })
            .collect();
        let tall = wrapped
            .iter()
            .map(|(_, l)| l.len())
            .max()
            .unwrap_or(1)
            .max(1);
        let mut leaves: Vec<Vec<SNode>> = widths.iter().map(|_| Vec::new()).collect();
        let mut done = 0;
        if self.y + tall as f32 * lead + 2.0 * CELL_PAD > self.sizes.bottom() && self.used {
            self.new_page();
            if !header {
                self.repeat_header(t, widths);
            }
        }
        while done < tall {
            let room = ((self.sizes.bottom() - self.y - 2.0 * CELL_PAD) / lead).floor() as usize;
            let take = room.max(1).min(tall - done);
            let top = self.y + CELL_PAD;
            let mut x = MARGIN;
            for (i, (bold, lines)) in wrapped.iter().enumerate() {
                for (k, line) in lines.iter().skip(done).take(take).enumerate() {
                    if line.is_empty() {
                        continue;
                    }
                    self.y = top + k as f32 * lead;
                    let id = self.push_line(x + CELL_PAD, *bold, size, line.clone(), false);
                    leaves[i].push(SNode::Leaf(id));
                }
                x += widths[i];
            }
            self.y = top + take as f32 * lead + CELL_PAD;
            self.used = true;
            self.rules.push(Rule {
                page: self.page,
                x1: MARGIN,
                x2: MARGIN + widths.iter().sum::<f32>(),
                y: self.y,
            });
            done += take;
            if done < tall {
                self.new_page();
                self.repeat_header(t, widths);
            }
        }
        let cells = leaves
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                let kind: TagKind = if header {
                    Tag::TH(TableHeaderScope::Column).into()
                } else if t.row_headers && i == 0 {
                    Tag::TH(TableHeaderScope::Row).into()
                } else {
                    Tag::TD.into()
                };
                SNode::Group(kind, l)
            })
            .collect();
        SNode::Group(Tag::TR.into(), cells)
    }

    fn repeat_header(&mut self, t: &Table, widths: &[f32]) {
        if t.header.is_empty() {
            return;
        }
        let size = self.sizes.text;
        let top = self.y + CELL_PAD;
        let mut x = MARGIN;
        let mut deepest = 1;
        for (cell, w) in t.header.iter().zip(widths) {
            let lines = wrap(&self.faces.bold_metrics, cell, size, w - 2.0 * CELL_PAD);
            deepest = deepest.max(lines.len());
            for (k, line) in lines.into_iter().enumerate() {
                self.y = top + k as f32 * Sizes::leading(size);
                self.push_line(x + CELL_PAD, true, size, line, true);
            }
            x += w;
        }
        self.y = top + deepest as f32 * Sizes::leading(size) + CELL_PAD;
        self.rules.push(Rule {
            page: self.page,
            x1: MARGIN,
            x2: MARGIN + widths.iter().sum::<f32>(),
            y: self.y,
        });
        self.used = true;
    }

    fn table(&mut self, t: &Table, width: f32) -> SNode {
        let widths = self.column_widths(t, width);
        let mut children = Vec::new();
        if let Some(caption) = &t.caption {
            self.ensure(4.0 * Sizes::leading(self.sizes.text));
            let leaves = self.text(caption, MARGIN, width, true, self.sizes.text);
            children.push(SNode::Group(Tag::Caption.into(), leaves));
        }
        if !t.header.is_empty() {
            self.ensure(3.0 * Sizes::leading(self.sizes.text));
            children.push(self.row(&t.header, &widths, true, t));
        }
        for r in &t.rows {
            children.push(self.row(r, &widths, false, t));
        }
        self.y += self.sizes.text * 0.8;
        SNode::Group(Tag::Table.into(), children)
    }
}

pub(crate) fn lay_out(doc: &Document, faces: &Faces, sizes: &Sizes) -> Laid {
    let mut c = Cursor {
        faces,
        sizes: *sizes,
        page: 0,
        y: sizes.top(),
        lines: Vec::new(),
        rules: Vec::new(),
        used: false,
        headings: Vec::new(),
    };
    let tree = doc.blocks.iter().filter_map(|b| c.block(b)).collect();
    Laid {
        pages: c.page + 1,
        lines: c.lines,
        rules: c.rules,
        tree,
        headings: c.headings,
    }
}

/// The headings as nested bookmarks (the document's title when it has none).
pub(crate) fn outline(laid: &Laid, title: &str) -> Outline {
    fn nest(hs: &[(u8, String, usize, f32)], i: &mut usize, parent: u8) -> Vec<OutlineNode> {
        let mut out = Vec::new();
        while let Some((level, text, page, y)) = hs.get(*i).filter(|h| h.0 > parent) {
            *i += 1;
            let at = XyzDestination::new(*page, Point::from_xy(0.0, *y));
            let mut node = OutlineNode::new(text.clone(), at);
            for child in nest(hs, i, *level) {
                node.push_child(child);
            }
            out.push(node);
        }
        out
    }
    let mut outline = Outline::new();
    let mut i = 0;
    let mut nodes = nest(&laid.headings, &mut i, 0);
    if nodes.is_empty() {
        let top = XyzDestination::new(0, Point::from_xy(0.0, 0.0));
        nodes.push(OutlineNode::new(title.to_string(), top));
    }
    for n in nodes {
        outline.push_child(n);
    }
    outline
}

fn artifact() -> ContentTag<'static> {
    ContentTag::Artifact(Artifact::new(ArtifactType::PaginationOther, None))
}

/// Draws every page and returns the structure tree.
pub(crate) fn draw(
    out: &mut krilla::Document,
    laid: &Laid,
    doc: &Document,
    faces: &Faces,
    sizes: &Sizes,
) -> TagTree {
    let mut ids: Vec<Option<krilla::tagging::Identifier>> = Vec::new();
    ids.resize_with(laid.lines.len(), || None);
    let mut next = 0;
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 is a valid page size");
    for page in 0..laid.pages {
        let mut p = out.start_page_with(settings.clone());
        let mut s = p.surface();
        let font = |bold: bool| {
            if bold {
                faces.bold.clone()
            } else {
                faces.regular.clone()
            }
        };
        let metrics = |bold: bool| {
            if bold {
                &faces.bold_metrics
            } else {
                &faces.regular_metrics
            }
        };
        // The running head and the page number.
        let head_y = MARGIN - sizes.small * 1.2;
        let foot = format!("Page {} of {}", page + 1, laid.pages);
        let right_w = faces.regular_metrics.width(&doc.head_right, sizes.small);
        let foot_w = faces.regular_metrics.width(&foot, sizes.small);
        let pieces = [
            (MARGIN, head_y, doc.head_left.as_str(), true),
            (
                PAGE_W - MARGIN - right_w,
                head_y,
                doc.head_right.as_str(),
                false,
            ),
            (
                (PAGE_W - foot_w) / 2.0,
                PAGE_H - MARGIN / 2.0,
                foot.as_str(),
                false,
            ),
        ];
        s.start_tagged(artifact());
        for (x, y, text, bold) in pieces {
            let glyphs = metrics(bold).glyphs(text);
            s.draw_glyphs(
                Point::from_xy(x, y),
                &glyphs,
                font(bold),
                text,
                sizes.small,
                false,
            );
        }
        let mut rules = PathBuilder::new();
        rules.move_to(MARGIN, head_y + sizes.small * 0.5);
        rules.line_to(PAGE_W - MARGIN, head_y + sizes.small * 0.5);
        for r in laid.rules.iter().filter(|r| r.page == page) {
            rules.move_to(r.x1, r.y);
            rules.line_to(r.x2, r.y);
        }
        if let Some(path) = rules.finish() {
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                paint: rgb::Color::new(0x50, 0x5a, 0x5f).into(),
                width: 0.5,
                ..Stroke::default()
            }));
            s.draw_path(&path);
            s.set_stroke(None);
            s.set_fill(Some(krilla::paint::Fill::default()));
        }
        s.end_tagged();
        while next < laid.lines.len() && laid.lines[next].page == page {
            let l = &laid.lines[next];
            let tag = if l.artifact {
                artifact()
            } else {
                ContentTag::Span(SpanTag::empty())
            };
            let id = s.start_tagged(tag);
            let at = Point::from_xy(l.x, l.y);
            let glyphs = metrics(l.bold).glyphs(&l.text);
            s.draw_glyphs(at, &glyphs, font(l.bold), &l.text, l.size, false);
            s.end_tagged();
            if !l.artifact {
                ids[next] = Some(id);
            }
            next += 1;
        }
        s.finish();
        p.finish();
    }
    let mut tree = TagTree::new().with_lang(Some(doc.lang.clone()));
    for n in &laid.tree {
        if let Some(node) = build(n, &mut ids) {
            tree.push(node);
        }
    }
    tree
}

fn build(n: &SNode, ids: &mut [Option<krilla::tagging::Identifier>]) -> Option<Node> {
    match n {
        SNode::Leaf(i) => ids.get_mut(*i).and_then(Option::take).map(Node::Leaf),
        SNode::Group(kind, children) => {
            let nodes: Vec<Node> = children.iter().filter_map(|c| build(c, ids)).collect();
            (!nodes.is_empty()).then(|| Node::Group(TagGroup::with_children(kind.clone(), nodes)))
        }
    }
}

#[cfg(test)]
impl Laid {
    /// How many pages.
    pub(crate) fn pages(&self) -> usize {
        self.pages
    }
}
