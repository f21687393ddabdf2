//! Overlapping character bigrams with real positions, so that a phrase of a query's
//! bigrams matches exactly the names that contain the query as a substring (what SQL
//! `LIKE '%q%'` matches). Whitespace and punctuation are skipped.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

#[derive(Clone, Default)]
pub struct BigramTokenizer {
    token: Token,
}

pub struct BigramStream<'a> {
    /// (byte offset, char) of the kept characters.
    chars: Vec<(usize, char)>,
    next: usize,
    token: &'a mut Token,
}

impl Tokenizer for BigramTokenizer {
    type TokenStream<'a> = BigramStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BigramStream<'a> {
        self.token.reset();
        BigramStream {
            chars: text
                .char_indices()
                .filter(|(_, c)| c.is_alphanumeric())
                .collect(),
            next: 0,
            token: &mut self.token,
        }
    }
}

impl TokenStream for BigramStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next + 1 >= self.chars.len() {
            return false;
        }
        let (from, a) = self.chars[self.next];
        let (b_at, b) = self.chars[self.next + 1];
        self.token.text.clear();
        self.token.text.push(a);
        self.token.text.push(b);
        self.token.offset_from = from;
        self.token.offset_to = b_at + b.len_utf8();
        self.token.position = self.next;
        self.token.position_length = 1;
        self.next += 1;
        true
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grams(s: &str) -> Vec<(String, usize)> {
        let mut t = BigramTokenizer::default();
        let mut stream = t.token_stream(s);
        let mut out = Vec::new();
        while stream.advance() {
            out.push((stream.token().text.clone(), stream.token().position));
        }
        out
    }

    #[test]
    fn overlapping_pairs_with_positions() {
        assert_eq!(
            grams("老滇味"),
            vec![("老滇".into(), 0), ("滇味".into(), 1)]
        );
        assert_eq!(grams("A·B c"), vec![("AB".into(), 0), ("Bc".into(), 1)]);
        assert!(grams("味").is_empty());
    }
}
