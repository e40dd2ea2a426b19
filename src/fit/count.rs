//! The page count's levers: changes whose effect on the number of pages can
//! be predicted from one pass, tried least change first.
//!
//! Each lever proposes steps of one page (`delta` ±1) with a `cost` (how
//! much of the issue it changes: one opener or one article's start costs
//! less than the lead photos of a whole run). A variant is one step of the
//! size needed or two steps that add up to it; variants are tried cheapest
//! first, and at equal cost the smaller change of page count first (losing
//! one page rather than gaining three, gaining one rather than losing
//! three; losing when both are two pages, since a tighter issue reads
//! better than a padded one). Each is laid out in turn; the first that
//! reaches the count without a new under-filled page is kept. Otherwise
//! steps are taken one on top of the other, each predicted from the layout
//! the last left ([`Engine::accumulate`]): to lose a page, from a variant
//! that kept the count without opening a hole (a step predicted from one
//! pass often empties its run's last page only in part); to gain, from the
//! first single page gained towards the count (one house page fewer).

use super::{
    ArticleFit, Decision, Engine, FitPlan, Layout, MIN_FILL, MIN_SCALE, Opener, QuoteStyle,
    Reading, SLACK_PT, Start, blank_pages, body_of, decision, events_pages, kind, merge_changes,
    overlap_pages, section_span, spill,
};
use crate::inspect::PageInfo;
use crate::markdown::Block;
use crate::model::OpenerMode;

/// At most this many variants are laid out for the page count, less
/// [`MAX_PARTIAL`] for those that reach only part of it; the pairs of
/// one-page losses come on top ([`MAX_PARTIAL`] of them).
const MAX_COUNT_VARIANTS: usize = 8;

/// Passes the levers leave to the fillers and house pages after them, so
/// the count is reached whatever the levers spent.
const RESERVED: usize = 2;

/// The cost of a step that changes every article of the issue, tried
/// alone and last.
const ISSUE_COST: u32 = 5;

/// A step that reaches the count but leaves holes gets this many filling
/// passes to mend them ([`Engine::count_levers`]) …
const REPAIR_PASSES: usize = 6;

/// … at most this many times in one search for the count.
const MAX_REPAIRS: usize = 1;

/// At most this many variants reach only part of the count (one page
/// gained of two or three missing), and as many pairs of steps that each
/// lose a page where one is to lose.
const MAX_PARTIAL: usize = 2;

/// At most this many articles of one lever are offered as single steps
/// (the most promising first), so the variants stay few.
const MAX_PER_LEVER: usize = 3;

/// At most this many steps are taken one on top of the other to lose a
/// page ([`Engine::accumulate`]).
const MAX_GREEDY: usize = 3;

/// A page this little full after a step for the count holds a tail that
/// the fitting rungs may pull back ([`Engine::tail_mends`]) …
const TINY_TAIL: f64 = 0.12;

/// … at most this many times in one search for the count.
const MAX_MENDS: usize = 2;

/// A variant's place in the order of trial: its cost, whether it goes the
/// less preferred way, and the order it was found in.
type Rank = (u32, bool, usize);

/// One change for the page count.
struct Step {
    /// Pages it is predicted to add (negative: take away).
    delta: i64,
    /// How much of the issue it changes (lower is tried first).
    cost: u32,
    plan: FitPlan,
    decision: Decision,
}

/// What the steps are proposed for: the kept plan, its pages and the
/// multiple the count must reach.
struct Base<'p> {
    plan: &'p FitPlan,
    pages: &'p [PageInfo],
    m: usize,
}

impl Base<'_> {
    /// A decision's reason.
    fn why(&self, what: &str) -> String {
        format!(
            "{} pages: {what} for a multiple of {}",
            self.pages.len(),
            self.m
        )
    }
}

impl Engine<'_> {
    /// Lays the count's variants out in order and keeps the first that
    /// reaches a multiple of `m`, or failing that the first that leaves fewer
    /// pages to add (a gained page: one house page less), without a new
    /// under-filled page or text over a photo.
    pub(super) fn count_levers(
        &mut self,
        layout: &mut dyn Layout,
        (plan, pages): (FitPlan, Vec<PageInfo>),
        m: usize,
    ) -> crate::diag::FolioResult<(FitPlan, Vec<PageInfo>)> {
        let n = pages.len();
        let missing = |k: usize| (m - k % m) % m;
        let under = Reading::new(&pages).underfilled().len();
        let overlaps = overlap_pages(&pages);
        // the first variant that reached part of the count
        let mut part: Option<(FitPlan, Vec<PageInfo>, Vec<Decision>)> = None;
        // the variant of most steps that lost no page but opened no hole
        // either (the first of them)
        let mut neutral: Option<(FitPlan, Vec<PageInfo>, Vec<Decision>)> = None;
        let lose = n % m <= m - n % m;
        let mut mends = 0;
        let mut repairs = 0;
        // (pages gained with holes are not mended where the manifest's
        // fillers can make them up: they are there for it)
        let fillers_can =
            self.uses("fillers") && self.filler_units(&plan, &pages).len() >= missing(n);
        for (v, ds, partial) in self.count_variants(&plan, &pages, m) {
            if self.passes + RESERVED + 1 >= self.max_passes || (partial && part.is_some()) {
                break;
            }
            let mut got = self.run(layout, &v)?;
            let (mut v, mut ds) = (v, ds);
            // a step that left a tail of a few lines behind: pulled back
            if missing(got.len()) > 0
                && mends < MAX_MENDS
                && let Some((w, more)) = self.tail_mends(&v, &got, under)
            {
                mends += 1;
                let again = self.run(layout, &w)?;
                if missing(again.len()) < missing(got.len()) {
                    (v, got) = (w, again);
                    ds.extend(more);
                }
            }
            // a step that reached the count but opened holes deeper than a
            // tail: the filling rungs mend them, once per search
            if missing(got.len()) == 0
                && repairs < MAX_REPAIRS
                && !(got.len() > n && fillers_can)
                && Reading::new(&got).underfilled().len() > under
                && overlap_pages(&got) <= overlaps
                && self.passes + REPAIR_PASSES + RESERVED < self.max_passes
            {
                repairs += 1;
                let (decided, cap) = (self.decisions.len(), self.max_passes);
                self.max_passes = self.passes + REPAIR_PASSES + 6 + super::COUNT_PASSES;
                let (w, again) = self.fill(layout, v.clone(), got.clone())?;
                self.max_passes = cap;
                let fixed: Vec<Decision> = self.decisions.drain(decided..).collect();
                if missing(again.len()) == 0 {
                    (v, got) = (w, again);
                    ds.extend(fixed);
                }
            }
            let clean = Reading::new(&got).underfilled().len() <= under
                && overlap_pages(&got) <= overlaps
                && blank_pages(&got) <= blank_pages(&pages);
            let kept = missing(got.len()) < missing(n) && clean;
            if std::env::var_os("FOLIO_FIT_TRACE").is_some() {
                let what: Vec<String> = ds
                    .iter()
                    .map(|d| format!("{} {}→{}", d.lever, d.from, d.to))
                    .collect();
                eprintln!("  count {n} → {}: {} ({kept})", got.len(), what.join(" + "));
            }
            if kept && missing(got.len()) == 0 {
                self.decisions.extend(ds);
                return Ok((v, got));
            }
            if kept && part.is_none() {
                part = Some((v, got, ds));
            } else if lose
                && neutral.as_ref().is_none_or(|x| x.2.len() < ds.len())
                && got.len() == n
                && clean
            {
                neutral = Some((v, got, ds));
            }
        }
        // Steps taken one on top of the other, from the layouts those left.
        let limits = (m, under, overlaps);
        if let Some(start) = neutral {
            let (v, got, ds) = self.accumulate(layout, start, limits, true)?;
            if missing(got.len()) == 0 {
                self.decisions.extend(ds);
                return Ok((v, got));
            }
        }
        if let Some(start) = part {
            let (v, got, ds) = self.accumulate(layout, start, limits, false)?;
            self.decisions.extend(ds);
            return Ok((v, got));
        }
        // The last pass must be the kept plan's.
        self.restore(plan, pages)
    }

    /// Steps for the count taken one on top of the other from a variant
    /// that reached part of it (`lose` false: each page gained is one house
    /// page fewer) or, to lose a page, from one that lost none but opened no
    /// hole either (`lose`): a step predicted from one pass often empties
    /// its run's last page only in part, and the next step, predicted from
    /// the layout it left, takes the rest. A step is kept when it opens no
    /// hole, puts no text over a photo and brings the count closer (or, to
    /// lose a page, keeps it); at most [`MAX_GREEDY`] are tried. Returns
    /// the layout reached.
    fn accumulate(
        &mut self,
        layout: &mut dyn Layout,
        start: (FitPlan, Vec<PageInfo>, Vec<Decision>),
        (m, under, overlaps): (usize, usize, usize),
        lose: bool,
    ) -> crate::diag::FolioResult<(FitPlan, Vec<PageInfo>, Vec<Decision>)> {
        let missing = |k: usize| (m - k % m) % m;
        let (mut acc, mut pages, mut ds) = start;
        let mut tried: Vec<(String, String)> = ds
            .iter()
            .map(|d| (d.lever.clone(), d.subject.clone()))
            .collect();
        for _ in 0..MAX_GREEDY {
            let n = pages.len();
            if missing(n) == 0 || self.passes + RESERVED + 1 >= self.max_passes {
                break;
            }
            let want = if lose { -((n % m) as i64) } else { 1 };
            let Some(s) = self
                .count_steps(&acc, &pages, m)
                .into_iter()
                .filter(|s| s.delta == want)
                .filter(|s| {
                    !tried.contains(&(s.decision.lever.clone(), s.decision.subject.clone()))
                })
                .min_by_key(|s| s.cost)
            else {
                break;
            };
            tried.push((s.decision.lever.clone(), s.decision.subject.clone()));
            let (mut v, mut step) = (s.plan, vec![s.decision]);
            let mut got = self.run(layout, &v)?;
            // a step that left a tail of a few lines behind: pulled back
            if missing(got.len()) >= missing(n)
                && let Some((w, more)) = self.tail_mends(&v, &got, under)
            {
                let again = self.run(layout, &w)?;
                if missing(again.len()) < missing(got.len()) {
                    (v, got) = (w, again);
                    step.extend(more);
                }
            }
            let k = got.len();
            let kept = Reading::new(&got).underfilled().len() <= under
                && overlap_pages(&got) <= overlaps
                && blank_pages(&got) <= blank_pages(&pages)
                && k <= n + missing(n)
                && (missing(k) < missing(n) || (lose && k == n));
            if std::env::var_os("FOLIO_FIT_TRACE").is_some() {
                let what: Vec<String> = step
                    .iter()
                    .map(|d| format!("{} {}→{}", d.lever, d.from, d.to))
                    .collect();
                eprintln!(
                    "  count {n} → {k} on {} step(s): {} ({kept})",
                    ds.len(),
                    what.join(" + ")
                );
            }
            if kept {
                ds.extend(step);
                (acc, pages) = (v, got);
            }
        }
        Ok((acc, pages, ds))
    }

    /// A variant whose new under-filled pages (over `under`) are all tails
    /// of a few lines: the step pulled its run back not quite far enough,
    /// or a band took the room of a few lines from its section's first
    /// page. The rung that pulls each such tail back (a spilled block's
    /// height, smaller photos) is taken with it; none when a tail has none.
    fn tail_mends(
        &self,
        v: &FitPlan,
        got: &[PageInfo],
        under: usize,
    ) -> Option<(FitPlan, Vec<Decision>)> {
        let r = Reading::new(got);
        let holes = r.underfilled();
        let tails: Vec<usize> = holes
            .iter()
            .copied()
            // (a column block run onto a page its text never reaches, or a
            // half-page ad left alone on a page, is a tail too)
            .filter(|&p| {
                r.fills[p].is_some_and(|f| f < TINY_TAIL)
                    || spill(got, p).is_some()
                    || only_ads(&got[p])
            })
            .collect();
        if tails.is_empty() || holes.len() - tails.len() > under || !self.budget() {
            return None;
        }
        let mut w = v.clone();
        let mut ds = Vec::new();
        for p in tails {
            let (x, d) = self.variants(v, &r, p).into_iter().find(|(_, d)| {
                matches!(d.lever.as_str(), "balance" | "lead-photo")
                    || d.lever == "tracking" && d.to == "tightest"
            })?;
            merge_changes(&mut w, v, &x);
            ds.push(d);
        }
        Some((w, ds))
    }

    /// Variants predicted to lose `n mod m` pages or gain the rest, least
    /// change first (see the module's comment), then single pages gained
    /// towards the count (flagged `true`: they reach only part of it).
    pub(super) fn count_variants(
        &self,
        plan: &FitPlan,
        pages: &[PageInfo],
        m: usize,
    ) -> Vec<(FitPlan, Vec<Decision>, bool)> {
        let n = pages.len();
        let lose = (n % m) as i64;
        let gain = m as i64 - lose;
        let steps = self.count_steps(plan, pages, m);
        if std::env::var_os("FOLIO_FIT_TRACE").is_some() {
            for s in &steps {
                let d = &s.decision;
                eprintln!(
                    "  count step {:+} (cost {}): {} {} {}→{}",
                    s.delta, s.cost, d.subject, d.lever, d.from, d.to
                );
            }
        }
        let mut out: Vec<(Rank, FitPlan, Vec<Decision>)> = Vec::new();
        for (want, second) in [(-lose, lose > gain), (gain, gain >= lose)] {
            for s in steps.iter().filter(|s| s.delta == want) {
                let key = (s.cost, second, out.len());
                out.push((key, s.plan.clone(), vec![s.decision.clone()]));
            }
            for (i, a) in steps.iter().enumerate() {
                for b in steps.iter().skip(i + 1) {
                    if a.delta + b.delta != want {
                        continue;
                    }
                    let Some(v) = pair(plan, a, b) else {
                        continue;
                    };
                    let key = (a.cost + b.cost, second, out.len());
                    out.push((key, v, vec![a.decision.clone(), b.decision.clone()]));
                }
            }
        }
        out.sort_by_key(|(k, _, _)| *k);
        out.truncate(MAX_COUNT_VARIANTS - MAX_PARTIAL);
        let whole = out.len();
        // One page to lose: a step predicted to lose one often loses less
        // (the prediction comes from one pass); two of them lose one or
        // two (then a house page makes up the second), never the three a
        // page gained towards the count leaves to add.
        if lose == 1 {
            let ones: Vec<&Step> = steps.iter().filter(|s| s.delta == -1).collect();
            let mut pairs: Vec<(u32, FitPlan, Vec<Decision>)> = Vec::new();
            for (i, a) in ones.iter().enumerate() {
                for (b, v) in ones
                    .iter()
                    .skip(i + 1)
                    .filter_map(|b| Some((b, pair(plan, a, b)?)))
                {
                    pairs.push((
                        a.cost + b.cost,
                        v,
                        vec![a.decision.clone(), b.decision.clone()],
                    ));
                }
            }
            pairs.sort_by_key(|(c, _, _)| *c);
            for (c, v, ds) in pairs.into_iter().take(MAX_PARTIAL) {
                out.push(((c, true, out.len()), v, ds));
            }
        }
        // Then a gained page where two or three are missing: one house page
        // less (losing one of two or three pages only adds to them).
        if gain >= 2 {
            let mut partial: Vec<&Step> = steps
                .iter()
                .filter(|s| s.delta == 1 && s.cost < ISSUE_COST)
                .collect();
            partial.sort_by_key(|s| s.cost);
            for s in partial.into_iter().take(MAX_PARTIAL) {
                out.push((
                    (s.cost, true, out.len()),
                    s.plan.clone(),
                    vec![s.decision.clone()],
                ));
            }
        }
        out.into_iter()
            .enumerate()
            .map(|(i, (_, v, ds))| (v, ds, i >= whole))
            .collect()
    }

    /// Every single step the ladder's levers offer.
    fn count_steps(&self, plan: &FitPlan, pages: &[PageInfo], m: usize) -> Vec<Step> {
        let b = Base { plan, pages, m };
        let mut steps = Vec::new();
        if self.uses("openers") {
            steps.extend(self.opener_steps(&b));
        }
        if self.uses("events") {
            steps.extend(self.events_steps(&b));
        }
        if self.uses("flow") {
            steps.extend(self.start_steps(&b));
        }
        if self.uses("pull-quotes") {
            steps.extend(self.quote_steps(&b));
        }
        if self.uses("lead-photo") {
            steps.extend(self.lead_steps(&b, true));
            steps.extend(self.lead_steps(&b, false));
        }
        if self.uses("tracking") {
            steps.extend(self.type_steps(&b, true));
            steps.extend(self.type_steps(&b, false));
            steps.extend(self.issue_type_steps(&b));
        }
        steps
    }

    /// `opener = "auto"` sections: one opener page to a band (shortest
    /// section first) or a band to an opener page (longest first).
    fn opener_steps(&self, b: &Base) -> Vec<Step> {
        let (plan, pages, n) = (b.plan, b.pages, b.pages.len());
        let with = |o: Opener| {
            let mut ids: Vec<&str> = self
                .issue
                .sections
                .iter()
                .filter(|s| s.opener == OpenerMode::Auto)
                .map(|s| s.id.as_str())
                .filter(|id| plan.sections.get(*id).is_some_and(|f| f.opener == o))
                .collect();
            ids.sort_by_key(|id| section_span(pages, id));
            ids
        };
        let mut steps = Vec::new();
        let mut swap = |id: &str, to: Opener| {
            let mut v = plan.clone();
            let Some(f) = v.sections.get_mut(id) else {
                return;
            };
            f.opener = to;
            // A band section that flows on under the previous one was moved
            // there to close a hole, which an opener page may open again:
            // tried after the others.
            let cost = if f.flow { 2 } else { 1 };
            let (delta, from, to, what) = match to {
                Opener::Band => (
                    -1,
                    "full",
                    "band",
                    "a section band instead of an opener page",
                ),
                Opener::Full => (1, "band", "full", "an opener page instead of a band"),
            };
            steps.push(Step {
                delta,
                cost,
                plan: v,
                decision: decision(id, "openers", from, to, n, b.why(what)),
            });
        };
        for id in with(Opener::Full) {
            swap(id, Opener::Band);
        }
        for id in with(Opener::Band).into_iter().rev() {
            swap(id, Opener::Full);
        }
        steps
    }

    /// The events grid one page shorter (also with one tile more per row)
    /// or one page longer.
    fn events_steps(&self, b: &Base) -> Vec<Step> {
        let (plan, pages, n) = (b.plan, b.pages, b.pages.len());
        let ev = events_pages(pages);
        if ev == 0 || plan.events_flow {
            return Vec::new();
        }
        let cols = self.events_columns(plan);
        let mut steps = Vec::new();
        let mut step = |delta: i64, cost: u32, columns: Option<usize>, from: String, to: String| {
            let mut v = plan.clone();
            v.events_pages = Some((ev as i64 + delta) as usize);
            if columns.is_some() {
                v.events_columns = columns;
            }
            let what = if delta < 0 {
                "one events page less"
            } else {
                "one events page more"
            };
            steps.push(Step {
                delta,
                cost,
                plan: v,
                decision: decision("events", "events", &from, &to, n, b.why(what)),
            });
        };
        if ev > 1 {
            step(
                -1,
                1,
                None,
                format!("{ev} pages"),
                format!("{} pages", ev - 1),
            );
            if cols < 4 {
                step(
                    -1,
                    2,
                    Some(cols + 1),
                    format!("{ev} pages, {cols} per row"),
                    format!("{} pages, {} per row", ev - 1, cols + 1),
                );
            }
        }
        step(
            1,
            1,
            None,
            format!("{ev} pages"),
            format!("{} pages", ev + 1),
        );
        steps
    }

    /// An article that starts on a new page flows on under the previous
    /// one instead (to lose a page): those after the emptiest pages first.
    fn start_steps(&self, b: &Base) -> Vec<Step> {
        let (plan, pages, n) = (b.plan, b.pages, b.pages.len());
        let r = Reading::new(pages);
        let mut room: Vec<(f64, &str)> = plan
            .articles
            .iter()
            .filter(|(_, f)| f.start == Start::Page)
            .filter_map(|(id, _)| {
                let first = r.find(kind::ARTICLE, id, false)?;
                let before = r.fills.get(first.checked_sub(1)?).copied().flatten()?;
                Some((before, id.as_str()))
            })
            .collect();
        room.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
        room.into_iter()
            .take(MAX_PER_LEVER)
            .filter_map(|(before, id)| {
                let mut v = plan.clone();
                v.articles.get_mut(id)?.start = Start::Flow;
                let what = format!(
                    "flows on under page {}, {:.0}% full",
                    r.find(kind::ARTICLE, id, false)?,
                    before * 100.0
                );
                Some(Step {
                    delta: -1,
                    cost: 1,
                    plan: v,
                    decision: decision(id, "flow", "new page", "flows on", n, b.why(&what)),
                })
            })
            .collect()
    }

    /// Pull quotes out of every article that sets them (display `>` quotes
    /// in text type), or every article's unused candidates in.
    fn quote_steps(&self, b: &Base) -> Vec<Step> {
        let (plan, n) = (b.plan, b.pages.len());
        let mut out_plan = plan.clone();
        let mut in_plan = plan.clone();
        let (mut outs, mut ins) = (Vec::new(), Vec::new());
        for (id, f) in &plan.articles {
            let Some(a) = self.article(id) else {
                continue;
            };
            let quotes = a.body.iter().any(|b| matches!(b, Block::Quote { .. }));
            if f.pull_quotes > 0 || (quotes && f.quotes == QuoteStyle::Display) {
                if let Some(g) = out_plan.articles.get_mut(id) {
                    g.pull_quotes = 0;
                    g.quotes = QuoteStyle::Text;
                }
                outs.push(id.as_str());
            }
            if a.pull_quotes.len() > f.pull_quotes || (quotes && f.quotes == QuoteStyle::Text) {
                if let Some(g) = in_plan.articles.get_mut(id) {
                    g.pull_quotes = a.pull_quotes.len();
                    g.quotes = QuoteStyle::Display;
                }
                ins.push(id.as_str());
            }
        }
        let mut steps = Vec::new();
        for (delta, v, ids, from, to, what) in [
            (
                -1,
                out_plan,
                outs,
                "set",
                "left out",
                "pull quotes left out",
            ),
            (1, in_plan, ins, "left out", "set", "every pull quote set"),
        ] {
            if !ids.is_empty() {
                steps.push(Step {
                    delta,
                    cost: 2,
                    plan: v,
                    decision: decision(&ids.join(", "), "pull-quotes", from, to, n, b.why(what)),
                });
            }
        }
        steps
    }

    /// The lead photos of a run shrunk together so that the whole of its
    /// last page moves back (`shrink`, to lose a page), or grown so that
    /// its last page runs over onto a new one at least [`MIN_FILL`] full;
    /// only where the photos' limits allow it. The run whose last page
    /// needs the least change is chosen.
    fn lead_steps(&self, b: &Base, shrink: bool) -> Vec<Step> {
        let (plan, r, n) = (b.plan, &Reading::new(b.pages), b.pages.len());
        let mut best: Option<(f64, FitPlan, Vec<String>)> = None;
        for (p, id) in run_ends(r) {
            let Some(fill) = r.fills[p] else { continue };
            let body = body_of(r.pages, p);
            let text_h = body[3] - body[1];
            let need = if shrink {
                fill * text_h + SLACK_PT
            } else {
                (1.0 - fill + MIN_FILL) * text_h + SLACK_PT
            };
            if best.as_ref().is_some_and(|b| b.0 <= need) {
                continue;
            }
            if let Some((v, subjects)) = self.scale_leads(plan, r, p, &id, need, shrink, text_h) {
                best = Some((need, v, subjects));
            }
        }
        let Some((_, v, subjects)) = best else {
            return Vec::new();
        };
        let (delta, to, what) = if shrink {
            (-1, "shorter", "the lead photos of a run shorter")
        } else {
            (1, "taller", "the lead photos of a run taller")
        };
        vec![Step {
            delta,
            cost: 3,
            plan: v,
            decision: decision(&subjects.join(", "), "lead-photo", "", to, n, b.why(what)),
        }]
    }

    /// Every article of a run at the theme's tightest tracking and leading
    /// (`tight`, to lose a page: the whole of its last page moves back) or
    /// its loosest (its last page runs over onto a new one at least
    /// [`MIN_FILL`] full), where the run's pages are predicted to give that
    /// much: the run whose last page needs the least change. The body's
    /// line pitch is about 0.7 em plus its leading, and a line holds about
    /// two characters per em of tracking.
    fn type_steps(&self, b: &Base, tight: bool) -> Vec<Step> {
        let (plan, r, n) = (b.plan, &Reading::new(b.pages), b.pages.len());
        let Some(st) = self.steps else {
            return Vec::new();
        };
        let pick = |(lo, hi): (f64, f64)| if tight { lo } else { hi };
        let (to_t, to_l) = (pick(st.tracking), pick(st.leading));
        let mut best: Option<(f64, FitPlan, Vec<String>)> = None;
        for (p, id) in run_ends(r) {
            let Some(fill) = r.fills[p] else { continue };
            let need = if tight { fill } else { 1.0 - fill + MIN_FILL };
            if best.as_ref().is_some_and(|b| b.0 <= need) {
                continue;
            }
            let run = self.run_of(plan, r, p, &id);
            let mut v = plan.clone();
            let mut gives = 0.0;
            for g in &run {
                let (Some(f), Some(first), Some(last)) = (
                    v.articles.get_mut(g),
                    r.find(kind::ARTICLE, g, false),
                    r.find(kind::ARTICLE_END, g, true),
                ) else {
                    continue;
                };
                let now_l = f.leading.unwrap_or(st.base);
                let share = ((to_l - now_l) / (0.7 + now_l) + (to_t - f.tracking) * 2.0).abs();
                // the first page holds the head, the last one its end
                gives += share * ((last + 1 - first) as f64 - 0.5).max(0.5);
                f.tracking = to_t;
                f.leading = Some(to_l);
            }
            // the estimate errs low (a paragraph's last line often has
            // room to take the next one in): a quarter more is tried
            if gives * 1.25 >= need && v != *plan {
                best = Some((need, v, run));
            }
        }
        let Some((_, v, run)) = best else {
            return Vec::new();
        };
        let (delta, to, what) = if tight {
            (
                -1,
                "tightest",
                "a run set at its tightest tracking and leading",
            )
        } else {
            (
                1,
                "loosest",
                "a run set at its loosest tracking and leading",
            )
        };
        vec![Step {
            delta,
            cost: 4,
            plan: v,
            decision: decision(&run.join(", "), "tracking", "", to, n, b.why(what)),
        }]
    }

    /// Every article of the issue at the type rungs' tight limit (to lose a
    /// page) or loose limit (to gain one): when no one run can give or take
    /// a page, the slack of all of them together may, and an issue set
    /// evenly reads better than one run set apart. Tried last: it changes
    /// every page, and by how many pages is known only once laid out.
    fn issue_type_steps(&self, b: &Base) -> Vec<Step> {
        let (plan, n) = (b.plan, b.pages.len());
        let all: Vec<String> = plan.articles.keys().cloned().collect();
        // the manifest's fillers are there to make up pages: the issue is
        // not set looser where they can
        let fill_in =
            self.uses("fillers") && self.filler_units(plan, b.pages).len() >= b.m - n % b.m;
        let mut steps = Vec::new();
        for tight in [true, false] {
            if !tight && fill_in {
                continue;
            }
            let mut v = plan.clone();
            self.run_type_limit(&mut v, &all, tight);
            if v == *plan {
                continue;
            }
            let (delta, to, what) = if tight {
                (-1, "tightest", "every article at its tightest type")
            } else {
                (1, "loosest", "every article at its loosest type")
            };
            steps.push(Step {
                delta,
                cost: ISSUE_COST,
                plan: v,
                decision: decision("issue", "tracking", "", to, n, b.why(what)),
            });
        }
        steps
    }

    /// Scales the lead photos of the run ending on page `p` by `need`
    /// points in all (shrinking to [`MIN_SCALE`], growing to the theme's
    /// `lead-max-grown` and `grow-min-ppi`); none when they cannot.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn scale_leads(
        &self,
        plan: &FitPlan,
        r: &Reading,
        p: usize,
        ending: &str,
        mut need: f64,
        shrink: bool,
        text_h: f64,
    ) -> Option<(FitPlan, Vec<String>)> {
        let mut v = plan.clone();
        let mut subjects = Vec::new();
        for g in self.grow_candidates(plan, r, p, ending) {
            let Some((h, _, px_h)) = self.lead_frame(r, &g) else {
                continue;
            };
            let scale = plan.articles.get(&g)?.lead_scale;
            let natural = h / scale;
            let room = if shrink {
                h - natural * MIN_SCALE
            } else {
                (self.max_grown * text_h).min(f64::from(px_h) / self.min_ppi * 72.0) - h
            };
            let take = room.min(need);
            if take < 6.0 {
                continue;
            }
            let to = if shrink { h - take } else { h + take };
            let s = (to / natural * 100.0).floor() / 100.0;
            v.articles.get_mut(&g)?.lead_scale = s;
            subjects.push(format!("{g} {scale:.2}→{s:.2}"));
            need -= take;
            if need <= 0.0 {
                return Some((v, subjects));
            }
        }
        None
    }
}

/// Whether a page holds nothing but ads (besides its running head and
/// folio): an article's run pulled back from under a half-page ad.
fn only_ads(p: &PageInfo) -> bool {
    let mut held = p
        .marks
        .iter()
        .filter(|m| {
            !matches!(
                m.kind.as_str(),
                kind::RUNNING | kind::RUNNING_HEAD | kind::FOLIO
            )
        })
        .peekable();
    held.peek().is_some() && held.all(|m| m.kind == kind::SPONSOR)
}

/// The last pages of runs: pages whose last text is an article's end with
/// nothing starting after it there, each with that article.
fn run_ends(r: &Reading) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (p, page) in r.pages.iter().enumerate() {
        let Some(k) = page
            .marks
            .iter()
            .rposition(|m| m.kind == kind::ARTICLE_END || m.kind == kind::AFTER)
        else {
            continue;
        };
        let starts_after = page.marks[k..]
            .iter()
            .any(|m| m.kind == kind::ARTICLE || m.kind == kind::SECTION);
        if !starts_after && r.fills[p].is_some() {
            out.push((p, page.marks[k].id.clone()));
        }
    }
    out
}

/// Two steps taken together: `b`'s plan with `a`'s changes; none when
/// they change the same parameter (one would overwrite the other). Steps on
/// one article combine when they change different parameters of it (its
/// pull quotes and its type, say); sections and the events grid go whole.
fn pair(base: &FitPlan, a: &Step, b: &Step) -> Option<FitPlan> {
    // (a step over the whole issue goes alone: it already changes every page)
    if a.cost >= ISSUE_COST || b.cost >= ISSUE_COST {
        return None;
    }
    let changed = |v: &FitPlan| -> Vec<String> {
        let sections = v
            .sections
            .iter()
            .filter(|(id, f)| base.sections.get(*id) != Some(f));
        let mut ids: Vec<String> = sections.map(|(id, _)| format!("s:{id}")).collect();
        if v.events_pages != base.events_pages || v.events_columns != base.events_columns {
            ids.push("events".into());
        }
        ids
    };
    let ours = changed(&a.plan);
    if a.decision.subject == b.decision.subject || changed(&b.plan).iter().any(|x| ours.contains(x))
    {
        return None;
    }
    let mut v = b.plan.clone();
    let mut rest = a.plan.clone();
    rest.articles = base.articles.clone();
    merge_changes(&mut v, base, &rest);
    for (id, fa) in &a.plan.articles {
        let f0 = base.articles.get(id)?;
        if fa != f0 {
            let fb = v.articles.get_mut(id)?;
            *fb = merged(f0, fa, fb)?;
        }
    }
    Some(v)
}

/// `b` with the parameters `a` changed from `base`; none when `b` changed
/// one of them otherwise.
fn merged(base: &ArticleFit, a: &ArticleFit, b: &ArticleFit) -> Option<ArticleFit> {
    let json = |f: &ArticleFit| serde_json::to_value(f).ok();
    let (base, a, mut b) = (json(base)?, json(a)?, json(b)?);
    let (base, a, to) = (base.as_object()?, a.as_object()?, b.as_object_mut()?);
    for (k, x) in a {
        if base.get(k) == Some(x) {
            continue;
        }
        if to.get(k) != base.get(k) && to.get(k) != Some(x) {
            return None;
        }
        to.insert(k.clone(), x.clone());
    }
    serde_json::from_value(b).ok()
}
