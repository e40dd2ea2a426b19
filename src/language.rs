//! Which language an unlabelled text is written in, as far as its letters
//! tell.
//!
//! An article without `language` is set in the issue's language. When its
//! letters are Cyrillic and the issue's language is not written in Cyrillic,
//! the issue's hyphenation patterns find nothing to break: the justified
//! lines of such an article come out loose and full of rivers (issue 11 saw
//! Russian articles "set as English"). The model then sets the article in
//! the language its letters point to and preflight says so, so the editor can
//! confirm it (`language = "ru"`) or correct it. Only the script is read,
//! never the words: a Latin-script text could be any of dozens of languages,
//! and guessing among them would be wrong too often to act on.

/// A language guessed from the letters of a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guess {
    /// ISO 639-1 code, as `text(lang: …)` takes it.
    pub code: &'static str,
    /// English name, for messages.
    pub name: &'static str,
}

/// Languages written in Cyrillic (ISO 639-1), for the issue's language.
const CYRILLIC_LANGUAGES: &[&str] = &[
    "ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn", "tt", "ba", "cv", "ce", "os", "ab",
];
/// Fewer letters than this say too little to act on.
const MIN_LETTERS: usize = 40;
/// Share of the letters that must be Cyrillic.
const MIN_SHARE: f64 = 0.6;

/// The language the letters of `text` point to, when they are Cyrillic and
/// `issue_language` is not written in Cyrillic; `None` otherwise (too short,
/// mixed, or already in a Cyrillic language).
pub fn guess(text: &str, issue_language: &str) -> Option<Guess> {
    let primary = issue_language.split('-').next().unwrap_or_default();
    if CYRILLIC_LANGUAGES.contains(&primary) {
        return None;
    }
    let (mut letters, mut cyrillic) = (0usize, 0usize);
    let mut marks = Marks::default();
    for c in text.chars().filter(|c| c.is_alphabetic()) {
        letters += 1;
        if ('\u{0400}'..='\u{04FF}').contains(&c) {
            cyrillic += 1;
            marks.count(c);
        }
    }
    if letters < MIN_LETTERS || (cyrillic as f64) < MIN_SHARE * letters as f64 {
        return None;
    }
    Some(marks.language(cyrillic))
}

/// Letters that only some Cyrillic alphabets have.
#[derive(Default)]
struct Marks {
    /// ә ғ қ ң ө ұ ү һ (Kazakh).
    kazakh: usize,
    /// ї є ґ (Ukrainian).
    ukrainian: usize,
    /// ў (Belarusian).
    belarusian: usize,
    /// ђ ј љ њ ћ џ (Serbian).
    serbian: usize,
    /// ѓ ќ ѕ (Macedonian).
    macedonian: usize,
    /// ы э (Russian and Belarusian; never Bulgarian or Ukrainian).
    russian: usize,
    /// ъ (frequent in Bulgarian, rare in Russian).
    hard_sign: usize,
}

impl Marks {
    fn count(&mut self, c: char) {
        let lower = c.to_lowercase().next().unwrap_or(c);
        match lower {
            'ә' | 'ғ' | 'қ' | 'ң' | 'ө' | 'ұ' | 'ү' | 'һ' => self.kazakh += 1,
            'ї' | 'є' | 'ґ' => self.ukrainian += 1,
            'ў' => self.belarusian += 1,
            'ђ' | 'ј' | 'љ' | 'њ' | 'ћ' | 'џ' => self.serbian += 1,
            'ѓ' | 'ќ' | 'ѕ' => self.macedonian += 1,
            'ы' | 'э' => self.russian += 1,
            'ъ' => self.hard_sign += 1,
            _ => {}
        }
    }

    /// The alphabet whose own letters are most frequent; Russian when none
    /// stands out (it is by far the most common Cyrillic language in print).
    fn language(&self, cyrillic: usize) -> Guess {
        // one in two hundred letters: a stray loan word is not a language
        let some = |n: usize| n * 200 >= cyrillic && n > 0;
        let candidates = [
            (self.kazakh, "kk", "Kazakh"),
            (self.ukrainian, "uk", "Ukrainian"),
            (self.belarusian, "be", "Belarusian"),
            (self.serbian, "sr", "Serbian"),
            (self.macedonian, "mk", "Macedonian"),
        ];
        let best = candidates
            .iter()
            .filter(|(n, _, _)| some(*n))
            .max_by_key(|(n, _, _)| *n);
        if let Some(&(_, code, name)) = best {
            return Guess { code, name };
        }
        if self.russian == 0 && some(self.hard_sign) && self.hard_sign * 50 >= cyrillic {
            return Guess {
                code: "bg",
                name: "Bulgarian",
            };
        }
        Guess {
            code: "ru",
            name: "Russian",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str = "Совещание министров иностранных дел государств-членов подтвердило \
        приверженность дальнейшему углублению многостороннего сотрудничества и \
        взаимопонимания, вы это знаете.";
    const KK: &str = "Қазақстан Республикасының Сыртқы істер министрлігі Азиядағы өзара \
        іс-қимыл және сенім шаралары жөніндегі кеңестің отырысын өткізді.";
    const UK: &str = "Міністерство закордонних справ України повідомило про зустріч, \
        яка відбулася у Києві; її учасники обговорили питання співпраці та її \
        розвитку в регіоні, що є важливим.";
    const EN: &str = "The ministers of foreign affairs confirmed their commitment to \
        deepening cooperation across the region.";

    #[test]
    fn cyrillic_text_in_a_latin_issue_gets_its_alphabet_language() {
        assert_eq!(guess(RU, "en").map(|g| g.code), Some("ru"));
        assert_eq!(guess(KK, "en").map(|g| g.code), Some("kk"));
        assert_eq!(guess(UK, "en").map(|g| g.code), Some("uk"));
        assert_eq!(guess(RU, "en-GB").map(|g| g.code), Some("ru"));
    }

    #[test]
    fn no_guess_for_latin_text_short_text_or_a_cyrillic_issue() {
        assert_eq!(guess(EN, "en"), None);
        assert_eq!(guess("Привет, мир", "en"), None, "too few letters");
        assert_eq!(guess(RU, "ru"), None);
        assert_eq!(guess(RU, "kk"), None);
        // mostly English with a Russian quotation
        let mixed = format!("{EN} {EN} {EN} «Совещание министров»");
        assert_eq!(guess(&mixed, "en"), None);
    }
}
