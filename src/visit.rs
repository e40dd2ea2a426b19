//! The walkers: over laid-out Typst frames (reading them, or filtering and
//! rewriting them in place) and over the issue data as the templates
//! receive it. Every pass over a frame tree or the data goes through here,
//! so group transforms and clips, and the data's nesting, are followed in
//! one place.

use typst::layout::{Frame, FrameItem, GroupItem, Transform};

/// Calls `item` with every item of `frame` that is not a group, in paint
/// order, with the transform from the item's position to the page (`ts`
/// maps `frame` itself). `state` is what the enclosing groups make of the
/// walk: `enter` derives a group's inner state from the outer one (e.g. the
/// clip in force), given the transform of the group's frame.
pub fn frame_with<S>(
    frame: &Frame,
    ts: Transform,
    state: &S,
    enter: &mut impl FnMut(&GroupItem, Transform, &S) -> S,
    item: &mut impl FnMut(&FrameItem, Transform, &S),
) {
    for (pos, it) in frame.items() {
        let here = ts.pre_concat(Transform::translate(pos.x, pos.y));
        match it {
            FrameItem::Group(group) => {
                let inner = here.pre_concat(group.transform);
                let state = enter(group, inner, state);
                frame_with(&group.frame, inner, &state, enter, item);
            }
            other => item(other, here, state),
        }
    }
}

/// [`frame_with`] without state: every non-group item with its transform.
pub fn frame(frame: &Frame, ts: Transform, item: &mut impl FnMut(&FrameItem, Transform)) {
    frame_with(frame, ts, &(), &mut |_, _, _| (), &mut |it, ts, _| {
        item(it, ts)
    });
}

/// Keeps the non-group items `keep` accepts (it may change them), in every
/// group; groups themselves stay.
pub fn retain(frame: &mut Frame, keep: &mut impl FnMut(&mut FrameItem) -> bool) {
    frame.retain(|it| match it {
        FrameItem::Group(group) => {
            retain(&mut group.frame, keep);
            true
        }
        other => keep(other),
    });
}

/// A copy of `frame` holding only the non-group items `pick` returns a
/// copy of (in paint order), inside the groups around them; groups left
/// without items are left out. Unlike [`retain`] on a clone, it copies only
/// what it keeps (a page's text runs each own their glyphs). `None` when
/// nothing is kept.
pub fn picked(
    frame: &Frame,
    pick: &mut impl FnMut(&FrameItem) -> Option<FrameItem>,
) -> Option<Frame> {
    let mut out = Frame::new(frame.size(), frame.kind());
    for (pos, it) in frame.items() {
        let kept = match it {
            FrameItem::Group(group) => picked(&group.frame, pick).map(|inner| {
                let mut group = group.clone();
                group.frame = inner;
                FrameItem::Group(group)
            }),
            other => pick(other),
        };
        if let Some(kept) = kept {
            out.push(*pos, kept);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Where a string sits in the issue data: the object keys above it, and
/// the nearest enclosing objects that carry a `kind` and an `id`.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A key of an object.
    Key(String),
    /// An object with a `kind` and an `id` (an article, a sponsor).
    Thing {
        /// Its `kind`.
        kind: String,
        /// Its `id`.
        id: String,
    },
}

/// Calls `f` with every string in `value` and the path to it.
pub fn strings(value: &serde_json::Value, f: &mut impl FnMut(&[Step], &str)) {
    strings_at(value, &mut Vec::new(), f);
}

fn strings_at(value: &serde_json::Value, path: &mut Vec<Step>, f: &mut impl FnMut(&[Step], &str)) {
    match value {
        serde_json::Value::String(s) => f(path, s),
        serde_json::Value::Array(items) => {
            for item in items {
                strings_at(item, path, f);
            }
        }
        serde_json::Value::Object(map) => {
            let thing = match (map.get("kind"), map.get("id")) {
                (Some(serde_json::Value::String(kind)), Some(serde_json::Value::String(id))) => {
                    Some(Step::Thing {
                        kind: kind.clone(),
                        id: id.clone(),
                    })
                }
                _ => None,
            };
            let pushed = thing.is_some();
            path.extend(thing);
            for (key, v) in map {
                path.push(Step::Key(key.clone()));
                strings_at(v, path, f);
                path.pop();
            }
            if pushed {
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picked_copies_only_what_it_keeps_inside_its_groups() {
        use typst::layout::{Abs, GroupItem, Point, Size};
        use typst::visualize::{Color, Geometry};
        let pt = Abs::pt;
        let shape = |w: f64| {
            let rect = Geometry::Rect(Size::new(pt(w), pt(1.0))).filled(Color::BLACK);
            FrameItem::Shape(rect, typst::syntax::Span::detached())
        };
        let mut inner = Frame::soft(Size::new(pt(50.0), pt(50.0)));
        inner.push(Point::zero(), shape(1.0));
        inner.push(Point::zero(), shape(2.0));
        let mut empty = Frame::soft(Size::new(pt(5.0), pt(5.0)));
        empty.push(Point::zero(), shape(3.0));
        let mut page = Frame::soft(Size::new(pt(100.0), pt(100.0)));
        page.push(
            Point::new(pt(4.0), pt(6.0)),
            FrameItem::Group(GroupItem::new(inner)),
        );
        page.push(Point::zero(), FrameItem::Group(GroupItem::new(empty)));
        let width = |it: &FrameItem| match it {
            FrameItem::Shape(s, _) => match s.geometry {
                Geometry::Rect(size) => size.x.to_pt(),
                _ => 0.0,
            },
            _ => 0.0,
        };
        let kept = picked(&page, &mut |it| (width(it) == 2.0).then(|| it.clone())).unwrap();
        let items: Vec<_> = kept.items().collect();
        assert_eq!(items.len(), 1, "the group without kept items is left out");
        assert_eq!(items[0].0, Point::new(pt(4.0), pt(6.0)));
        let FrameItem::Group(g) = &items[0].1 else {
            panic!("a group")
        };
        let inner: Vec<f64> = g.frame.items().map(|(_, it)| width(it)).collect();
        assert_eq!(inner, vec![2.0]);
        assert!(picked(&page, &mut |_| None).is_none());
    }

    #[test]
    fn strings_carry_their_path() {
        let v = serde_json::json!({
            "title": "T",
            "items": [{ "kind": "article", "id": "a", "body": ["x", "y"] }],
        });
        let mut seen = Vec::new();
        strings(&v, &mut |path, s| seen.push((path.to_vec(), s.to_string())));
        let key = |k: &str| Step::Key(k.into());
        let thing = Step::Thing {
            kind: "article".into(),
            id: "a".into(),
        };
        assert!(seen.contains(&(vec![key("title")], "T".into())));
        assert!(seen.contains(&(vec![key("items"), thing.clone(), key("body")], "y".into())));
        assert!(seen.contains(&(vec![key("items"), thing, key("kind")], "article".into())));
        assert_eq!(seen.len(), 5);
    }
}
