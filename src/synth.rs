//! Seeded generator of synthetic issues, for judging the layout engine.
//!
//! [`generate`] writes a complete issue folder (manifest, Markdown articles in
//! English and Russian, JPEG photos, sponsor artwork) from a seed: the same
//! seed and options always give byte-identical files, so a seed is enough to
//! reproduce a layout problem. The issues are meant to be *valid* input —
//! `folio build` must accept every one — but otherwise to cover what editors
//! do: 4–30 articles of 60–2000 words, 0–3 photos each with random shapes and
//! resolutions, 1–6 sections (most leave the opener to the engine, some pin it), 0–3 sponsors of every
//! size, 0–20 event tiles, A4 or A5 paper.
//!
//! `folio synth` (hidden) calls it from the command line; `tests/generated.rs`
//! is the property test over 30 seeds.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

use image::{ImageEncoder, Rgb, RgbImage};

/// Options of the generator.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Write `language = "ru"` into the front matter of Russian articles.
    /// Off by default: the front-matter key is being added on another branch,
    /// and the manifest refuses unknown keys until it lands.
    pub article_language: bool,
    /// Resolution (ppi) each photo has at the largest frame the digest layout
    /// is expected to give it (its role: cover, section opener, lead, inline,
    /// event tile). Print preflight fails below 150 ppi, so the default of 200
    /// leaves a third of headroom for a layout that places photos larger.
    pub photo_ppi: f64,
}

impl Default for SynthOptions {
    fn default() -> Self {
        Self {
            article_language: false,
            photo_ppi: 200.0,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthSummary {
    /// The seed.
    pub seed: u64,
    /// The issue folder.
    pub dir: PathBuf,
    /// `a4` or `a5`.
    pub paper: &'static str,
    /// Number of articles (without the foreword).
    pub articles: usize,
    /// Of which in Russian.
    pub russian_articles: usize,
    /// Number of sections.
    pub sections: usize,
    /// Sections whose manifest pins an opener page (`opener = true`).
    pub openers: usize,
    /// Sections that leave the opener to the engine (`auto`).
    pub auto_openers: usize,
    /// Photo files written (cover, articles, event tiles).
    pub photos: usize,
    /// Photo references in articles (lead and inline).
    pub article_photos: usize,
    /// Sponsors, by size.
    pub sponsors: Vec<&'static str>,
    /// Event tiles.
    pub event_tiles: usize,
    /// Words in article bodies (foreword included).
    pub words: usize,
    /// Whether the issue has a foreword.
    pub foreword: bool,
}

// ---- PRNG -----------------------------------------------------------------------

/// splitmix64: tiny, fast, and its output is fixed by its definition, so the
/// generated issues cannot change with a crate upgrade.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        debug_assert!(lo <= hi);
        lo + (self.next_u64() % (hi - lo + 1) as u64) as usize
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.f64()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.range(0, xs.len() - 1)]
    }
}

// ---- words ----------------------------------------------------------------------

/// Real English words (so that hyphenation patterns apply), weighted towards
/// the long institutional vocabulary a newsletter has.
const EN: &[&str] = &[
    "the",
    "the",
    "the",
    "of",
    "of",
    "and",
    "and",
    "to",
    "in",
    "in",
    "a",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "that",
    "was",
    "were",
    "is",
    "are",
    "which",
    "has",
    "have",
    "its",
    "their",
    "this",
    "between",
    "during",
    "also",
    "all",
    "new",
    "more",
    "other",
    "such",
    "well",
    "meeting",
    "cooperation",
    "international",
    "organization",
    "development",
    "sustainable",
    "infrastructure",
    "representatives",
    "interaction",
    "confidence",
    "measures",
    "security",
    "environmental",
    "ministerial",
    "transformation",
    "implementation",
    "participants",
    "discussed",
    "questions",
    "regional",
    "stability",
    "member",
    "states",
    "secretariat",
    "conference",
    "programme",
    "economic",
    "partnership",
    "delegation",
    "session",
    "forum",
    "youth",
    "tourism",
    "energy",
    "transport",
    "digital",
    "economy",
    "education",
    "culture",
    "healthcare",
    "scientific",
    "research",
    "agreement",
    "memorandum",
    "understanding",
    "ambassador",
    "minister",
    "government",
    "parliament",
    "committee",
    "council",
    "summit",
    "declaration",
    "statement",
    "initiative",
    "priorities",
    "challenges",
    "opportunities",
    "experts",
    "consultations",
    "workshop",
    "seminar",
    "training",
    "capacity",
    "building",
    "strengthening",
    "promoting",
    "supporting",
    "establishing",
    "coordinating",
    "facilitating",
    "multilateral",
    "bilateral",
    "diplomatic",
    "humanitarian",
    "technological",
    "agricultural",
    "industrial",
    "financial",
    "investment",
    "trade",
    "logistics",
    "corridors",
    "connectivity",
    "volunteers",
    "universities",
    "students",
    "journalists",
    "exhibition",
    "anniversary",
    "celebration",
    "heritage",
    "tradition",
    "population",
    "communities",
    "institutions",
    "framework",
    "mechanism",
    "dimension",
    "perspective",
    "comprehensive",
    "constructive",
    "productive",
    "successful",
    "important",
    "significant",
    "particular",
    "responsibility",
    "accountability",
    "transparency",
    "sustainability",
    "resilience",
    "counterterrorism",
    "peacekeeping",
    "intergovernmental",
    "interdisciplinary",
    "telecommunications",
    "characteristics",
    "recommendations",
    "representation",
    "internationalisation",
    "water",
    "land",
    "river",
    "mountain",
    "city",
    "region",
    "year",
    "week",
    "day",
    "people",
    "work",
    "plan",
    "road",
    "map",
    "report",
    "result",
    "results",
    "future",
    "world",
    "Asia",
    "Kazakhstan",
    "Astana",
    "continent",
    "neighbours",
    "partners",
    "observers",
    "leaders",
    "agreed",
    "noted",
    "stressed",
    "welcomed",
    "presented",
    "adopted",
    "signed",
    "held",
    "organised",
    "emphasised",
    "highlighted",
    "reviewed",
    "considered",
    "explored",
];

/// Real Russian words, for Russian hyphenation and Cyrillic text.
const RU: &[&str] = &[
    "и",
    "и",
    "и",
    "в",
    "в",
    "на",
    "на",
    "с",
    "по",
    "для",
    "о",
    "от",
    "к",
    "из",
    "что",
    "как",
    "это",
    "также",
    "был",
    "была",
    "были",
    "его",
    "их",
    "все",
    "между",
    "во",
    "время",
    "год",
    "года",
    "новых",
    "сотрудничество",
    "международного",
    "организация",
    "развития",
    "устойчивого",
    "инфраструктуры",
    "представители",
    "взаимодействия",
    "доверия",
    "меры",
    "безопасности",
    "окружающей",
    "среды",
    "министерского",
    "преобразования",
    "реализации",
    "совещание",
    "участники",
    "обсудили",
    "вопросы",
    "региональной",
    "стабильности",
    "государств",
    "членов",
    "секретариата",
    "конференции",
    "программы",
    "экономического",
    "партнёрства",
    "делегация",
    "заседание",
    "форума",
    "молодёжи",
    "туризма",
    "энергетики",
    "транспорта",
    "цифровой",
    "экономики",
    "образования",
    "культуры",
    "здравоохранения",
    "научных",
    "исследований",
    "соглашение",
    "меморандум",
    "взаимопонимании",
    "посол",
    "министр",
    "правительства",
    "парламента",
    "комитета",
    "совета",
    "саммита",
    "декларация",
    "заявление",
    "инициатива",
    "приоритеты",
    "вызовы",
    "возможности",
    "эксперты",
    "консультации",
    "семинар",
    "обучение",
    "укрепления",
    "продвижения",
    "поддержки",
    "многостороннего",
    "двустороннего",
    "дипломатического",
    "гуманитарного",
    "технологического",
    "сельскохозяйственного",
    "промышленного",
    "финансового",
    "инвестиций",
    "торговли",
    "логистики",
    "коридоров",
    "взаимосвязанности",
    "волонтёров",
    "университетов",
    "студентов",
    "журналистов",
    "выставка",
    "годовщина",
    "наследие",
    "традиции",
    "населения",
    "сообществ",
    "институтов",
    "механизма",
    "измерения",
    "перспективы",
    "всеобъемлющего",
    "конструктивного",
    "продуктивного",
    "успешного",
    "важного",
    "значительного",
    "ответственности",
    "прозрачности",
    "устойчивости",
    "международные",
    "межправительственного",
    "телекоммуникационных",
    "рекомендации",
    "вода",
    "земля",
    "река",
    "горы",
    "город",
    "регион",
    "неделя",
    "день",
    "люди",
    "работа",
    "план",
    "дорожная",
    "карта",
    "доклад",
    "результаты",
    "будущее",
    "мир",
    "Азии",
    "Казахстан",
    "Астана",
    "континента",
    "соседи",
    "партнёры",
    "наблюдатели",
    "лидеры",
    "согласились",
    "отметили",
    "подчеркнули",
    "приветствовали",
    "представили",
    "приняли",
    "подписали",
    "провели",
    "организовали",
    "рассмотрели",
];

const NAMES: &[&str] = &[
    "Aigerim Sadykova",
    "Timur Bekov",
    "Li Wei",
    "Farida Aliyeva",
    "Nurlan Omarov",
    "Maria Lopez",
    "Daniyar Seitkali",
    "Elena Petrova",
    "Kenji Watanabe",
    "Amina Rahimova",
    "Jonas Berg",
    "Zhanna Akhmetova",
    "Ravi Menon",
    "Olga Smirnova",
    "Arman Zhaksylykov",
];
const LICENCES: &[&str] = &[
    "CC BY 4.0",
    "CC0",
    "CC BY-SA 4.0",
    "public domain",
    "all rights reserved",
];
const CITIES_EN: &[&str] = &[
    "Astana",
    "Almaty",
    "Baku",
    "Beijing",
    "Tashkent",
    "Bishkek",
    "Dushanbe",
    "Ankara",
    "New York",
    "Geneva",
    "Istanbul",
    "New Delhi",
];
const CITIES_RU: &[&str] = &[
    "Астана",
    "Алматы",
    "Баку",
    "Пекин",
    "Ташкент",
    "Бишкек",
    "Душанбе",
    "Анкара",
    "Нью-Йорк",
    "Женева",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_RU_GEN: [&str; 12] = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
];
const KICKERS_EN: &[&str] = &[
    "Diplomacy",
    "Partnerships",
    "Economy",
    "Environment",
    "Youth",
    "Security",
    "Culture",
    "Interview",
    "In brief",
    "Human dimension",
    "Road map",
];
const KICKERS_RU: &[&str] = &[
    "Дипломатия",
    "Партнёрство",
    "Экономика",
    "Экология",
    "Молодёжь",
    "Культура",
];
const EXTRA_SECTIONS: &[(&str, &str)] = &[
    ("interviews", "Interviews"),
    ("opinion", "Opinion"),
    ("partners", "Partners"),
    ("culture", "Culture"),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Lang {
    En,
    Ru,
}

impl Lang {
    fn words(self) -> &'static [&'static str] {
        match self {
            Lang::En => EN,
            Lang::Ru => RU,
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// `n` words, capitalised, without final punctuation.
fn phrase(rng: &mut Rng, lang: Lang, n: usize) -> String {
    let words: Vec<&str> = (0..n).map(|_| *rng.pick(lang.words())).collect();
    capitalise(&words.join(" "))
}

/// A phrase of `lo..=hi` words.
fn phrase_n(rng: &mut Rng, lang: Lang, lo: usize, hi: usize) -> String {
    let n = rng.range(lo, hi);
    phrase(rng, lang, n)
}

/// A sentence of 6–24 words with an occasional comma, ending with a full stop.
fn sentence(rng: &mut Rng, lang: Lang, words: &mut usize) -> String {
    let n = rng.range(6, 24);
    *words += n;
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push_str(if i > 3 && i + 2 < n && rng.chance(0.08) {
                ", "
            } else {
                " "
            });
        }
        let word: &&str = rng.pick(lang.words());
        s.push_str(word);
    }
    capitalise(&s) + "."
}

/// A paragraph of about `target` words, with some emphasis, strong text and links.
fn paragraph(rng: &mut Rng, lang: Lang, target: usize, words: &mut usize) -> String {
    let start = *words;
    let mut p = Vec::new();
    while *words - start < target {
        let mut s = sentence(rng, lang, words);
        if rng.chance(0.05) {
            let w = rng.pick(lang.words());
            s = format!("{s} *{}*.", capitalise(w));
            *words += 1;
        } else if rng.chance(0.04) {
            let w = rng.pick(lang.words());
            s = format!("**{}** {s}", capitalise(w));
            *words += 1;
        } else if rng.chance(0.03) {
            let w = rng.pick(lang.words());
            s = format!("{s} See [{w}](https://example.org/{}).", rng.range(1, 999));
            *words += 2;
        }
        p.push(s);
    }
    p.join(" ")
}

/// A Markdown body of about `target` words: paragraphs, `##` headings,
/// bulleted and numbered lists and `>` quotes. Returns the body, its word
/// count and its number of top-level paragraphs (for `after-paragraph`).
fn body(rng: &mut Rng, lang: Lang, target: usize) -> (String, usize, usize) {
    let mut words = 0;
    let mut paras = 0;
    let mut blocks: Vec<String> = Vec::new();
    let mut since_heading = 0;
    while words < target {
        let left = target - words;
        let before = words;
        let roll = rng.f64();
        if blocks.is_empty() || left < 40 || roll < 0.70 {
            let len = rng.range(25, 110).min(left.max(10));
            blocks.push(paragraph(rng, lang, len, &mut words));
            paras += 1;
        } else if roll < 0.79 && since_heading > 120 && left > 80 {
            let n = rng.range(1, 6);
            words += n;
            blocks.push(format!("## {}", phrase(rng, lang, n)));
            since_heading = 0;
            continue;
        } else if roll < 0.86 {
            let items: Vec<String> = (0..rng.range(2, 6))
                .map(|_| {
                    let n = rng.range(2, 16);
                    words += n;
                    format!("- {}", phrase(rng, lang, n))
                })
                .collect();
            blocks.push(items.join("\n"));
        } else if roll < 0.93 {
            let items: Vec<String> = (0..rng.range(2, 6))
                .enumerate()
                .map(|(i, _)| {
                    let n = rng.range(3, 20);
                    words += n;
                    format!("{}. {}", i + 1, phrase(rng, lang, n))
                })
                .collect();
            blocks.push(items.join("\n"));
        } else {
            let s = sentence(rng, lang, &mut words);
            blocks.push(format!("> {s}"));
        }
        since_heading += words - before;
    }
    (blocks.join("\n\n") + "\n", words, paras)
}

/// One or two pull-quote candidates: plain sentences (no inline marks) of
/// the body's paragraphs, copied exactly as the front matter requires.
fn pull_quotes(rng: &mut Rng, md: &str) -> Vec<String> {
    let plain = |s: &&str| !s.contains(['*', '_', '[', ']', '`', '\\', '<']);
    let sentences: Vec<String> = md
        .split("\n\n")
        .filter(|b| !b.starts_with(['>', '-', '#']) && !b.starts_with(|c: char| c.is_ascii_digit()))
        .flat_map(|b| b.split_inclusive(". ").map(str::trim).collect::<Vec<_>>())
        .filter(plain)
        .filter(|s| (40..200).contains(&s.chars().count()))
        .map(str::to_string)
        .collect();
    if sentences.is_empty() {
        return Vec::new();
    }
    let n = rng.range(1, 2).min(sentences.len());
    (0..n)
        .map(|k| sentences[(k + 1) * sentences.len() / (n + 1)].clone())
        .collect()
}

// ---- geometry ---------------------------------------------------------------------

/// Page geometry of the digest layout (layouts/digest/theme.typ), in mm, used
/// only to give photos enough pixels for the frames they can get.
struct Geometry {
    pw: f64,
    ph: f64,
    text_w: f64,
    text_h: f64,
    bleed: f64,
}

impl Geometry {
    fn new(paper: &str) -> Self {
        let (pw, ph) = if paper == "a5" {
            (148.0, 210.0)
        } else {
            (210.0, 297.0)
        };
        let k = (pw / 210.0_f64).min(ph / 297.0);
        Self {
            pw,
            ph,
            text_w: pw - 34.0 * k,
            text_h: ph - 44.0 * k,
            bleed: 3.0,
        }
    }

    fn column(&self, columns: usize) -> f64 {
        // One-column articles are indented, but a photo may still span the
        // text width: size for the wider frame.
        let n = columns.max(1) as f64;
        (self.text_w - (n - 1.0) * 5.5) / n
    }
}

/// What a photo is used for; decides the largest frame it may fill.
#[derive(Clone, Copy)]
enum Role {
    Cover,
    /// The first lead photo of a section with an opener: the opener shows it
    /// across the page and bleed.
    Opener,
    Lead,
    Inline {
        columns: usize,
    },
    Tile,
}

/// Frame (w, h) in mm for a role and the photo's aspect ratio.
fn frame(g: &Geometry, role: Role, aspect: f64) -> (f64, f64) {
    match role {
        Role::Cover => (g.pw + 2.0 * g.bleed, g.ph + 2.0 * g.bleed),
        Role::Opener => (g.pw + 2.0 * g.bleed, (g.ph + g.bleed) * 0.44),
        Role::Lead => (g.text_w, g.text_h * 0.5),
        Role::Inline { columns } => {
            let w = g.column(columns);
            (w, (w / 1.75).max((w / aspect).min(w * 1.2)))
        }
        // Events: a lonely last tile spans two of three columns; a page's
        // photo heights may be stretched by up to 1.45.
        Role::Tile => {
            let w = g.text_w * 0.67;
            (w, w / 1.33 * 1.45)
        }
    }
}

/// Pixel size for a photo of `aspect` that fills its role's frame at
/// `ppi` or more, enlarged at random (long side kept near 3000 px unless the
/// frame needs more).
fn pixels(rng: &mut Rng, g: &Geometry, role: Role, aspect: f64, ppi: f64) -> (u32, u32) {
    let (fw, fh) = frame(g, role, aspect);
    // Fill crop: the photo's width must cover the frame's width, and its
    // height the frame's height.
    let need_w = (fw / 25.4 * ppi).max(fh / 25.4 * ppi * aspect);
    let small = matches!(role, Role::Inline { .. });
    let mut w = need_w * rng.uniform(1.0, if small { 1.3 } else { 1.6 });
    let long = w.max(w / aspect);
    if long > 3000.0 {
        w = (w * 3000.0 / long).max(need_w);
    }
    // Inline photos in narrow columns come out near 600 px on the long side.
    let w = w.ceil().max(64.0);
    let h = (w / aspect).ceil().max(64.0);
    (w as u32, h as u32)
}

// ---- images -------------------------------------------------------------------------

fn colour(rng: &mut Rng) -> [f64; 3] {
    [
        rng.uniform(20.0, 235.0),
        rng.uniform(20.0, 235.0),
        rng.uniform(20.0, 235.0),
    ]
}

/// A smooth gradient with a few soft shapes, as JPEG (quality 80). Drawn at
/// about 64 px and scaled up by the `image` crate, so that even a 3000 px
/// photo costs little to make and compresses to a small file.
fn photo_jpeg(rng: &mut Rng, w: u32, h: u32) -> io::Result<Vec<u8>> {
    let bw = if w >= h { 64 } else { (64 * w / h).max(8) };
    let bh = if h >= w { 64 } else { (64 * h / w).max(8) };
    let (a, b) = (colour(rng), colour(rng));
    let angle = rng.uniform(0.0, std::f64::consts::TAU);
    let (dx, dy) = (angle.cos(), angle.sin());
    let mut base = RgbImage::new(bw, bh);
    for (x, y, px) in base.enumerate_pixels_mut() {
        let (u, v) = (f64::from(x) / f64::from(bw), f64::from(y) / f64::from(bh));
        let t = ((u - 0.5) * dx + (v - 0.5) * dy + 0.75).clamp(0.0, 1.5) / 1.5;
        *px = Rgb(std::array::from_fn(|i| (a[i] + (b[i] - a[i]) * t) as u8));
    }
    for _ in 0..rng.range(2, 5) {
        let c = colour(rng);
        let (cx, cy) = (rng.f64() * f64::from(bw), rng.f64() * f64::from(bh));
        let r = rng.uniform(0.08, 0.3) * f64::from(bw.max(bh));
        let square = rng.chance(0.4);
        let alpha = rng.uniform(0.4, 0.85);
        for (x, y, px) in base.enumerate_pixels_mut() {
            let (ddx, ddy) = (f64::from(x) - cx, f64::from(y) - cy);
            let inside = if square {
                ddx.abs() < r && ddy.abs() < r * 0.7
            } else {
                ddx * ddx + ddy * ddy < r * r
            };
            if inside {
                for (v, c) in px.0.iter_mut().zip(c) {
                    *v = (f64::from(*v) * (1.0 - alpha) + c * alpha) as u8;
                }
            }
        }
    }
    let img = image::imageops::resize(&base, w, h, image::imageops::FilterType::Triangle);
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .map_err(io::Error::other)?;
    Ok(out)
}

fn hex(c: [f64; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0] as u8, c[1] as u8, c[2] as u8)
}

/// Vector sponsor artwork (shapes only: text in SVG would depend on fonts).
fn artwork_svg(rng: &mut Rng, w_mm: f64, h_mm: f64) -> String {
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w_mm:.1}mm\" height=\"{h_mm:.1}mm\" viewBox=\"0 0 {w_mm:.1} {h_mm:.1}\">\n<rect width=\"{w_mm:.1}\" height=\"{h_mm:.1}\" fill=\"{}\"/>\n",
        hex(colour(rng))
    );
    for _ in 0..rng.range(3, 8) {
        let c = hex(colour(rng));
        let (x, y) = (rng.f64() * w_mm, rng.f64() * h_mm);
        let r = rng.uniform(0.05, 0.3) * w_mm.min(h_mm);
        if rng.chance(0.5) {
            let _ = writeln!(
                s,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{r:.1}\" fill=\"{c}\" fill-opacity=\"0.8\"/>"
            );
        } else {
            let _ = writeln!(
                s,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{c}\"/>",
                x - r,
                y - r / 2.0,
                2.0 * r,
                r
            );
        }
    }
    s.push_str("</svg>\n");
    s
}

// ---- TOML ---------------------------------------------------------------------------

/// A TOML string literal (escaped by the toml crate).
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn q_list(xs: &[String]) -> String {
    let items: Vec<String> = xs.iter().map(|x| q(x)).collect();
    format!("[{}]", items.join(", "))
}

// ---- the issue ------------------------------------------------------------------------

/// First words of a generated issue.toml: `folio synth` replaces only
/// folders that start with it.
pub const MARKER: &str = "# Synthetic issue";

struct PhotoPlan {
    file: String,
    aspect: f64,
    role: Role,
}

struct ArticlePlan {
    id: String,
    file: String,
    lang: Lang,
    columns: usize,
    /// Lead photos first, then inline ones (indices into the photo plans),
    /// with their placement.
    photos: Vec<(usize, bool)>,
}

fn credit(rng: &mut Rng) -> String {
    format!("Photo: {}, {}", rng.pick(NAMES), rng.pick(LICENCES))
}

fn caption(rng: &mut Rng, lang: Lang) -> String {
    let n = rng.range(4, 26);
    let mut s = String::new();
    let mut w = 0;
    while w < n {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(&sentence(rng, lang, &mut w));
    }
    s
}

fn aspect(rng: &mut Rng) -> f64 {
    // Mostly landscape, as a newsletter's photos are, but the whole range.
    if rng.chance(0.6) {
        rng.uniform(1.25, 1.8)
    } else {
        rng.uniform(0.5, 2.2)
    }
}

/// Writes the issue of `seed` into `out_dir` (created; existing files with
/// the same names are replaced, nothing else is removed).
pub fn generate(seed: u64, out_dir: &Path, opts: &SynthOptions) -> io::Result<SynthSummary> {
    // Mix the seed so that neighbouring seeds give unrelated issues.
    let mut rng = Rng(seed ^ 0x5EED_F011_0000_0000);
    rng.next_u64();
    // The fitting levers' material (pull quotes, fillers, spare tiles) draws
    // from a stream of its own, so adding it left every other choice as it was.
    let mut extra = Rng(seed ^ 0xF111_E250_0000_0000);
    extra.next_u64();

    let paper = if rng.chance(0.7) { "a4" } else { "a5" };
    let g = Geometry::new(paper);
    let year = rng.range(2023, 2026);
    let quarter = rng.range(0, 3);
    let when = When {
        seed,
        year,
        quarter,
        month0: quarter * 3,
    };
    let n_articles = if rng.chance(0.15) {
        rng.range(4, 7)
    } else {
        rng.range(6, 30)
    };
    let n_sections = rng.range(1, 6).min(n_articles);
    let sections = plan_sections(&mut rng, n_sections, when.month0);
    let (photos, articles) = plan_articles(&mut rng, &sections, n_articles);

    std::fs::create_dir_all(out_dir)?;
    // Photos of articles.
    for p in &photos {
        let (w, h) = pixels(&mut rng, &g, p.role, p.aspect, opts.photo_ppi);
        write_file(out_dir, &p.file, &photo_jpeg(&mut rng, w, h)?)?;
    }
    let mut photo_files = photos.len();

    // Articles.
    let mut total_words = 0;
    for (_, a) in &articles {
        let (text, words) = article_file(&mut rng, &mut extra, a, &photos, opts, &when);
        total_words += words;
        write_file(out_dir, &a.file, text.as_bytes())?;
    }
    let russian = articles.iter().filter(|(_, a)| a.lang == Lang::Ru).count();
    let article_photos = articles.iter().map(|(_, a)| a.photos.len()).sum();

    // Foreword.
    let foreword = rng.chance(0.7);
    if foreword {
        let target = rng.range(150, 600);
        let (md, words, _) = body(&mut rng, Lang::En, target);
        total_words += words;
        write_file(
            out_dir,
            "articles/foreword.md",
            format!("+++\ntitle = \"Foreword\"\n+++\n\n{md}").as_bytes(),
        )?;
    }

    // The manifest.
    let mut t = String::new();
    issue_table(&mut rng, &mut t, &when, paper);
    let cover = cover_table(&mut rng, &mut t, &g, opts, out_dir)?;
    photo_files += usize::from(cover);
    if foreword {
        foreword_table(&mut rng, &mut t);
    }
    for (si, (id, title, opener)) in sections.iter().enumerate() {
        let files: Vec<String> = articles
            .iter()
            .filter(|(asi, _)| *asi == si)
            .map(|(_, a)| a.file.clone())
            .collect();
        let _ = write!(t, "\n[[sections]]\nid = {}\ntitle = {}\n", q(id), q(title));
        if let Some(pinned) = opener {
            let _ = writeln!(t, "opener = {pinned}");
        }
        let _ = writeln!(t, "articles = {}", q_list(&files));
    }

    let sponsor_sizes = sponsor_tables(&mut rng, &mut t, &g, out_dir, &articles, &sections)?;
    let (tiles, tile_files) = events_table(&mut rng, &mut extra, &mut t, &g, opts, out_dir, cover)?;
    photo_files += tile_files;
    contacts_table(&mut rng, &mut t, seed);
    filler_tables(&mut extra, &mut t);
    write_file(out_dir, "issue.toml", t.as_bytes())?;

    Ok(SynthSummary {
        seed,
        dir: out_dir.to_path_buf(),
        paper,
        articles: articles.len(),
        russian_articles: russian,
        sections: sections.len(),
        openers: sections.iter().filter(|s| s.2 == Some(true)).count(),
        auto_openers: sections.iter().filter(|s| s.2.is_none()).count(),
        photos: photo_files,
        article_photos,
        sponsors: sponsor_sizes,
        event_tiles: tiles,
        words: total_words,
        foreword,
    })
}

/// When the issue appears: its seed, year and quarter (0-based), and the
/// quarter's first month (0-based).
struct When {
    seed: u64,
    year: usize,
    quarter: usize,
    month0: usize,
}

/// Writes `bytes` to `rel` under `out_dir`, creating folders.
fn write_file(out_dir: &Path, rel: &str, bytes: &[u8]) -> io::Result<()> {
    let p = out_dir.join(rel);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(p, bytes)
}

/// Sections: the quarter's months, an optional "In the Spotlight" first,
/// further sections after the months when there are more than four; the
/// flag says whether a section has an opener.
fn plan_sections(
    rng: &mut Rng,
    n_sections: usize,
    month0: usize,
) -> Vec<(String, String, Option<bool>)> {
    let mut sections: Vec<(String, String, Option<bool>)> = Vec::new();
    let spotlight = n_sections >= 2 && (n_sections > 3 || rng.chance(0.35));
    if spotlight {
        sections.push(("spotlight".into(), "In the Spotlight".into(), None));
    }
    for m in 0..3 {
        if sections.len() == n_sections {
            break;
        }
        let name = MONTHS_EN[month0 + m];
        sections.push((name.to_lowercase(), name.into(), None));
    }
    for (id, title) in EXTRA_SECTIONS {
        if sections.len() == n_sections {
            break;
        }
        sections.push(((*id).into(), (*title).into(), None));
    }
    // Most sections leave `opener` to the engine (`auto`, the default, as in
    // the sample); a minority pin it, as an editor would for a section that
    // must (not) open on its own page. One draw per section keeps the rest of
    // the seed's issue as it was.
    for s in &mut sections {
        s.2 = match rng.f64() {
            x if x < 0.6 => None,
            x if x < 0.75 => Some(true),
            _ => Some(false),
        };
    }
    sections
}

/// The articles (with their section index) and their photos.
fn plan_articles(
    rng: &mut Rng,
    sections: &[(String, String, Option<bool>)],
    n_articles: usize,
) -> (Vec<PhotoPlan>, Vec<(usize, ArticlePlan)>) {
    let n_sections = sections.len();
    // Articles per section: at least one each, the rest at random.
    let mut counts = vec![1usize; n_sections];
    for _ in n_sections..n_articles {
        let i = rng.range(0, n_sections - 1);
        counts[i] += 1;
    }

    let mut photos: Vec<PhotoPlan> = Vec::new();
    let mut articles: Vec<(usize, ArticlePlan)> = Vec::new();
    let mut k = 0;
    for (si, &count) in counts.iter().enumerate() {
        for _ in 0..count {
            k += 1;
            let lang = if rng.chance(0.2) { Lang::Ru } else { Lang::En };
            let columns = match rng.f64() {
                x if x < 0.15 => 1,
                x if x < 0.85 => 2,
                _ => 3,
            };
            let n_photos = match rng.f64() {
                x if x < 0.2 => 0,
                x if x < 0.6 => 1,
                x if x < 0.85 => 2,
                _ => 3,
            };
            let mut ph = Vec::new();
            for j in 0..n_photos {
                // The first photo is mostly a lead photo, further ones mostly inline.
                let lead = if j == 0 {
                    rng.chance(0.85)
                } else {
                    rng.chance(0.15)
                };
                let role = if lead {
                    Role::Lead
                } else {
                    Role::Inline { columns }
                };
                photos.push(PhotoPlan {
                    file: format!("photos/p{:03}.jpg", photos.len() + 1),
                    aspect: aspect(rng),
                    role,
                });
                ph.push((photos.len() - 1, lead));
            }
            let sid = &sections[si].0;
            let slug = phrase(rng, Lang::En, 2).to_lowercase().replace(' ', "-");
            let id = format!("a{k:02}-{slug}");
            articles.push((
                si,
                ArticlePlan {
                    file: format!("articles/{sid}/{id}.md"),
                    id,
                    lang,
                    columns,
                    photos: ph,
                },
            ));
        }
    }
    // The opener of a section shows the first lead photo of its articles
    // (layouts/digest/parts.typ): give that photo the pixels for it.
    for (si, s) in sections.iter().enumerate() {
        // (`auto` may become an opener page too)
        if s.2 == Some(false) {
            continue;
        }
        let first_lead = articles
            .iter()
            .filter(|(asi, _)| *asi == si)
            .find_map(|(_, a)| a.photos.iter().find(|(_, lead)| *lead).map(|(i, _)| *i));
        if let Some(i) = first_lead {
            photos[i].role = Role::Opener;
        }
    }
    (photos, articles)
}

/// An article file (front matter and body) and its word count.
fn article_file(
    rng: &mut Rng,
    extra: &mut Rng,
    a: &ArticlePlan,
    photos: &[PhotoPlan],
    opts: &SynthOptions,
    when: &When,
) -> (String, usize) {
    let (year, month0) = (when.year, when.month0);
    let lang = a.lang;
    let target = match rng.f64() {
        x if x < 0.25 => rng.range(60, 250),
        x if x < 0.85 => rng.range(250, 900),
        _ => rng.range(900, 2000),
    };
    let (md, words, paras) = body(rng, lang, target);
    let mut fm = String::new();
    let title = phrase_n(rng, lang, 2, 14);
    let _ = writeln!(fm, "title = {}", q(&title));
    if rng.chance(0.5) {
        let kicker = match lang {
            Lang::En => rng.pick(KICKERS_EN),
            Lang::Ru => rng.pick(KICKERS_RU),
        };
        let _ = writeln!(fm, "kicker = {}", q(kicker));
    }
    if rng.chance(0.4) {
        let mut w = 0;
        let deck = sentence(rng, lang, &mut w);
        let _ = writeln!(fm, "deck = {}", q(&deck));
    }
    if rng.chance(0.6) {
        let day = rng.range(1, 28);
        let m = month0 + rng.range(0, 2);
        let dateline = match lang {
            Lang::En => format!("{}, {day} {} {year}", rng.pick(CITIES_EN), MONTHS_EN[m]),
            Lang::Ru => format!(
                "{}, {day} {} {year} г.",
                rng.pick(CITIES_RU),
                MONTHS_RU_GEN[m]
            ),
        };
        let _ = writeln!(fm, "dateline = {}", q(&dateline));
    }
    let _ = writeln!(fm, "columns = {}", a.columns);
    if rng.chance(0.3) {
        fm.push_str("new-page = true\n");
    }
    if opts.article_language && lang == Lang::Ru {
        fm.push_str("language = \"ru\"\n");
    }
    if words >= 400 && extra.chance(0.4) {
        let quotes = pull_quotes(extra, &md);
        if !quotes.is_empty() {
            let _ = writeln!(fm, "pull-quotes = {}", q_list(&quotes));
        }
    }
    for (j, &(pi, lead)) in a.photos.iter().enumerate() {
        let p = &photos[pi];
        fm.push_str("\n[[photos]]\n");
        let _ = writeln!(fm, "file = {}", q(&p.file));
        let _ = writeln!(fm, "caption = {}", q(&caption(rng, lang)));
        let _ = writeln!(fm, "credit = {}", q(&credit(rng)));
        // Write the placement only where it differs from the default
        // (lead for the first photo, inline after), as editors do.
        if lead != (j == 0) {
            let _ = writeln!(
                fm,
                "placement = {}",
                q(if lead { "lead" } else { "inline" })
            );
        }
        if rng.chance(0.1) {
            fm.push_str("fit = \"fit\"\n");
        }
        if rng.chance(0.2) {
            let _ = writeln!(
                fm,
                "focal = [{:.2}, {:.2}]",
                rng.uniform(0.2, 0.8),
                rng.uniform(0.2, 0.8)
            );
        }
        if lead && a.columns > 1 && rng.chance(0.15) {
            let _ = writeln!(fm, "span = {}", rng.range(1, a.columns - 1));
        }
        if !lead && paras > 0 && rng.chance(0.4) {
            let _ = writeln!(fm, "after-paragraph = {}", rng.range(1, paras));
        }
        if rng.chance(0.05) {
            fm.push_str("rights-expire = 2099-12-31\n");
        }
    }
    (format!("+++\n{fm}+++\n\n{md}"), words)
}

/// The manifest's `[issue]` table.
fn issue_table(rng: &mut Rng, t: &mut String, when: &When, paper: &str) {
    let (seed, year, quarter, month0) = (when.seed, when.year, when.quarter, when.month0);
    let _ = writeln!(
        t,
        "{MARKER}, seed {seed} (folio synth). Generated: do not edit.\n"
    );
    t.push_str("[issue]\n");
    let _ = writeln!(
        t,
        "publication = {}",
        q(&format!("Synthetic Digest {seed}"))
    );
    let _ = writeln!(t, "publisher = {}", q(&phrase_n(rng, Lang::En, 2, 8)));
    let _ = writeln!(t, "label = {}", q(&format!("Q{} {year}", quarter + 1)));
    let _ = writeln!(
        t,
        "period = {}",
        q(&format!(
            "{}–{} {year}",
            MONTHS_EN[month0],
            MONTHS_EN[month0 + 2]
        ))
    );
    let (dy, dm) = if quarter == 3 {
        (year + 1, 1)
    } else {
        (year, month0 + 4)
    };
    let _ = writeln!(t, "date = {dy:04}-{dm:02}-{:02}", rng.range(1, 28));
    t.push_str("language = \"en\"\nlayout = \"digest\"\n");
    let _ = writeln!(t, "paper = \"{paper}\"");
    if rng.chance(0.7) {
        let _ = writeln!(
            t,
            "accent = \"{}\"",
            hex([
                rng.uniform(0.0, 160.0),
                rng.uniform(0.0, 160.0),
                rng.uniform(0.0, 160.0)
            ])
        );
    }
}

/// `[cover]`, and its photo (written) in most issues; whether there is one.
fn cover_table(
    rng: &mut Rng,
    t: &mut String,
    g: &Geometry,
    opts: &SynthOptions,
    out_dir: &Path,
) -> io::Result<bool> {
    t.push_str("\n[cover]\n");
    let headlines: Vec<String> = (0..rng.range(0, 5))
        .map(|_| phrase_n(rng, Lang::En, 4, 16))
        .collect();
    let _ = writeln!(t, "headlines = {}", q_list(&headlines));
    let cover = rng.chance(0.95);
    if cover {
        let a = rng.uniform(0.6, 0.9);
        let (w, h) = pixels(rng, g, Role::Cover, a, opts.photo_ppi);
        write_file(out_dir, "photos/cover.jpg", &photo_jpeg(rng, w, h)?)?;
        t.push_str("\n[cover.photo]\nfile = \"photos/cover.jpg\"\n");
        let _ = writeln!(t, "caption = {}", q(&caption(rng, Lang::En)));
        let _ = writeln!(t, "credit = {}", q(&credit(rng)));
        if rng.chance(0.5) {
            let _ = writeln!(
                t,
                "focal = [{:.2}, {:.2}]",
                rng.uniform(0.3, 0.7),
                rng.uniform(0.2, 0.6)
            );
        }
    }
    Ok(cover)
}

/// `[foreword]` and its signature.
fn foreword_table(rng: &mut Rng, t: &mut String) {
    t.push_str("\n[foreword]\narticle = \"articles/foreword.md\"\n\n[foreword.signature]\n");
    let name: &&str = rng.pick(NAMES);
    let _ = writeln!(t, "name = {}", q(name));
    if rng.chance(0.8) {
        let _ = writeln!(t, "position = {}", q(&phrase_n(rng, Lang::En, 2, 6)));
    }
    if rng.chance(0.6) {
        let _ = writeln!(t, "organisation = {}", q(&phrase_n(rng, Lang::En, 2, 7)));
    }
}

/// Sponsors: every size, artwork (SVG or JPEG) or a composed ad; their sizes.
fn sponsor_tables(
    rng: &mut Rng,
    t: &mut String,
    g: &Geometry,
    out_dir: &Path,
    articles: &[(usize, ArticlePlan)],
    sections: &[(String, String, Option<bool>)],
) -> io::Result<Vec<&'static str>> {
    let mut sponsor_sizes = Vec::new();
    for n in 0..rng.range(0, 3) {
        let size = *rng.pick(&["full", "half", "quarter"]);
        sponsor_sizes.push(size);
        let id = format!("sponsor-{}", n + 1);
        let _ = write!(
            t,
            "\n[[sponsors]]\nid = \"{id}\"\nname = {}\nsize = \"{size}\"\n",
            q(&phrase_n(rng, Lang::En, 1, 6))
        );
        if rng.chance(0.5) {
            let (_, a) = rng.pick(articles);
            let _ = writeln!(t, "after = {}", q(&a.id));
        } else {
            let (sid, _, _) = rng.pick(sections);
            let _ = writeln!(t, "section = {}", q(sid));
        }
        if size == "full" && rng.chance(0.3) {
            t.push_str("right-hand = true\n");
        }
        // Artwork in the shape of its space (full: page and bleed).
        let (aw, ah) = match size {
            "full" => (g.pw + 2.0 * g.bleed, g.ph + 2.0 * g.bleed),
            "half" => (g.text_w, g.text_h * 0.48),
            _ => (g.text_w, g.text_h * 0.23),
        };
        let kind = rng.f64();
        if kind < 0.35 {
            let file = format!("sponsors/{id}.svg");
            write_file(out_dir, &file, artwork_svg(rng, aw, ah).as_bytes())?;
            let _ = writeln!(t, "artwork = {}", q(&file));
            // ad artwork needs a text alternative (the accessible screen PDF)
            let _ = writeln!(t, "alt = {}", q(&format!("Advertisement of {id}")));
        } else if kind < 0.55 && size != "full" {
            // Raster artwork at 300 ppi for its space.
            let file = format!("sponsors/{id}.jpg");
            let (w, h) = ((aw / 25.4 * 300.0) as u32, (ah / 25.4 * 300.0) as u32);
            write_file(out_dir, &file, &photo_jpeg(rng, w, h)?)?;
            let _ = writeln!(t, "artwork = {}", q(&file));
            let _ = writeln!(t, "alt = {}", q(&format!("Advertisement of {id}")));
        } else {
            let lang = if rng.chance(0.2) { Lang::Ru } else { Lang::En };
            t.push_str("\n[sponsors.ad]\n");
            let _ = writeln!(t, "headline = {}", q(&phrase_n(rng, lang, 2, 8)));
            if rng.chance(0.6) {
                let _ = writeln!(t, "text = {}", q(&caption(rng, lang)));
            }
            if rng.chance(0.5) {
                let file = format!("sponsors/{id}-logo.svg");
                write_file(out_dir, &file, artwork_svg(rng, 40.0, 20.0).as_bytes())?;
                let _ = writeln!(t, "logo = {}", q(&file));
            }
            let contacts: Vec<String> = (0..rng.range(0, 3))
                .map(|i| match i {
                    0 => format!(
                        "{} {}, {}",
                        rng.range(1, 99),
                        phrase(rng, Lang::En, 2),
                        rng.pick(CITIES_EN)
                    ),
                    1 => format!("E-mail: info@sponsor{}.example", n + 1),
                    _ => format!("www.sponsor{}.example", n + 1),
                })
                .collect();
            let _ = writeln!(t, "contacts = {}", q_list(&contacts));
            if lang == Lang::Ru {
                t.push_str("language = \"ru\"\n");
            }
        }
    }
    Ok(sponsor_sizes)
}

/// `[events]` with its tiles (photos written); the number of tiles and of
/// photo files written.
#[allow(
    clippy::too_many_arguments,
    reason = "two random streams and the output"
)]
fn events_table(
    rng: &mut Rng,
    extra: &mut Rng,
    t: &mut String,
    g: &Geometry,
    opts: &SynthOptions,
    out_dir: &Path,
    cover: bool,
) -> io::Result<(usize, usize)> {
    let mut files = 0;
    let tiles = if rng.chance(0.25) {
        0
    } else {
        rng.range(1, 20)
    };
    if tiles > 0 {
        t.push_str("\n[events]\n");
        if rng.chance(0.8) {
            t.push_str("title = \"Events\"\n");
        }
        let spare = if tiles > 3 && extra.chance(0.3) {
            extra.range(1, 2)
        } else {
            0
        };
        for i in 0..tiles {
            let lang = if rng.chance(0.15) { Lang::Ru } else { Lang::En };
            let _ = write!(
                t,
                "\n[[events.tiles]]\ncaption = {}\n",
                q(&caption(rng, lang))
            );
            // the last tiles of some issues are spares, for the fitting engine
            if i + spare >= tiles {
                t.push_str("spare = true\n");
            }
            t.push_str("[events.tiles.photo]\n");
            // As in the sample, the cover photo may come back as a tile.
            let file = if cover && i == tiles - 1 && rng.chance(0.2) {
                "photos/cover.jpg".to_string()
            } else {
                let file = format!("photos/events/e{:02}.jpg", i + 1);
                let a = aspect(rng);
                let (w, h) = pixels(rng, g, Role::Tile, a, opts.photo_ppi);
                write_file(out_dir, &file, &photo_jpeg(rng, w, h)?)?;
                files += 1;
                file
            };
            let _ = writeln!(t, "file = {}", q(&file));
            let _ = writeln!(t, "credit = {}", q(&credit(rng)));
        }
    }
    Ok((tiles, files))
}

/// Fillers for the page count in some issues: house ads and "In brief" notes.
fn filler_tables(extra: &mut Rng, t: &mut String) {
    if !extra.chance(0.5) {
        return;
    }
    for i in 0..extra.range(1, 3) {
        let kind = if extra.chance(0.5) { "ad" } else { "brief" };
        let title = capitalise(&phrase_n(extra, Lang::En, 3, 7));
        let mut w = 0;
        let text = sentence(extra, Lang::En, &mut w);
        let _ = write!(
            t,
            "\n[[fillers]]\nid = \"filler-{}\"\nkind = \"{kind}\"\ntitle = {}\ntext = {}\n",
            i + 1,
            q(&title),
            q(&text)
        );
    }
}

/// `[contacts]` in most issues.
fn contacts_table(rng: &mut Rng, t: &mut String, seed: u64) {
    if rng.chance(0.85) {
        t.push_str("\n[contacts]\n");
        if rng.chance(0.9) {
            let _ = writeln!(
                t,
                "address = {}",
                q(&format!(
                    "{} {} ave., {}",
                    rng.range(1, 120),
                    phrase(rng, Lang::En, 2),
                    rng.pick(CITIES_EN)
                ))
            );
        }
        if rng.chance(0.8) {
            let _ = writeln!(t, "phone = \"+7 7172 {:06}\"", rng.range(0, 999_999));
        }
        if rng.chance(0.8) {
            let _ = writeln!(t, "email = \"office{seed}@synth.example\"");
        }
        if rng.chance(0.8) {
            let _ = writeln!(t, "web = \"www.synth{seed}.example\"");
        }
        for net in ["Instagram", "X", "Facebook"] {
            if rng.chance(0.5) {
                let _ = write!(
                    t,
                    "\n[[contacts.social]]\nnetwork = \"{net}\"\nhandle = \"@synth{seed}\"\n"
                );
            }
        }
    }
}

// ---- contact sheet ----------------------------------------------------------------------

/// Pages laid out as spreads on a grey ground: page 1 alone on the right,
/// then 2|3, 4|5, …, four spreads a row — how a designer looks at an issue.
pub fn contact_sheet(pages: &[RgbImage]) -> RgbImage {
    const PER_ROW: u32 = 4;
    const GAP: u32 = 12;
    let (pw, ph) = pages
        .iter()
        .fold((1, 1), |(w, h), p| (p.width().max(w), p.height().max(h)));
    let spreads = (pages.len() as u32 + 2) / 2; // page 1 alone, then pairs
    let cols = spreads.clamp(1, PER_ROW);
    let rows = spreads.div_ceil(PER_ROW).max(1);
    let mut sheet = RgbImage::from_pixel(
        GAP + cols * (2 * pw + GAP),
        GAP + rows * (ph + GAP),
        Rgb([128, 128, 128]),
    );
    for (i, page) in pages.iter().enumerate() {
        // Page n (1-based) is in spread n / 2, on the left when n is even.
        let n = i as u32 + 1;
        let spread = n / 2;
        let x =
            GAP + (spread % PER_ROW) * (2 * pw + GAP) + if n.is_multiple_of(2) { 0 } else { pw };
        let y = GAP + (spread / PER_ROW) * (ph + GAP);
        image::imageops::replace(&mut sheet, page, i64::from(x), i64::from(y));
    }
    sheet
}

/// Writes the contact sheet of the issue in `issue_dir` to `png`.
pub fn write_contact_sheet(
    project: &crate::project::Project,
    ppi: u32,
    png: &Path,
) -> crate::diag::FolioResult<usize> {
    let rendered = crate::snapshot::render(project, crate::compile::Profile::Print, false, ppi)?;
    let pages: Vec<RgbImage> = rendered.pages.into_iter().map(|p| p.image).collect();
    let bytes = crate::raster::encode_png_fast(&contact_sheet(&pages))?;
    crate::snapshot::write_file(png, &bytes)?;
    Ok(pages.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_the_published_sequence() {
        // First outputs of splitmix64 seeded with 0 (Vigna's reference code).
        let mut r = Rng(0);
        assert_eq!(r.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(r.next_u64(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn pixels_cover_the_frame() {
        let g = Geometry::new("a4");
        let mut rng = Rng(1);
        for role in [
            Role::Cover,
            Role::Opener,
            Role::Lead,
            Role::Inline { columns: 3 },
            Role::Tile,
        ] {
            for aspect in [0.5, 1.0, 1.5, 2.2] {
                let (w, h) = pixels(&mut rng, &g, role, aspect, 200.0);
                let (fw, fh) = frame(&g, role, aspect);
                let ppi = (f64::from(w) / (fw / 25.4)).min(f64::from(h) / (fh / 25.4));
                assert!(ppi >= 199.0, "{w}×{h} for {fw}×{fh} mm: {ppi} ppi");
            }
        }
    }
}
