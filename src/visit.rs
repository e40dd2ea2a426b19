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
