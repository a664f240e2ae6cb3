//! WebVTT and SRT transcripts: cues with speaker and times, grouped into ~90-second chunks
//! so each feedback item is a short stretch of conversation.

#[derive(Debug, Clone, PartialEq)]
pub struct Cue {
    pub speaker: String,
    pub text: String,
    /// The timestamps as written in the file.
    pub start_time: String,
    pub end_time: String,
    pub start_seconds: f64,
    pub end_seconds: f64,
}

pub const UNKNOWN_SPEAKER: &str = "Unknown";

/// Cues written back as WebVTT (a transcription's cues go through the same chunking as a
/// transcript file's).
pub fn to_vtt(cues: &[Cue]) -> String {
    std::iter::once("WEBVTT\n".to_owned())
        .chain(
            cues.iter()
                .map(|c| format!("\n{} --> {}\n{}\n", c.start_time, c.end_time, c.text)),
        )
        .collect()
}
pub const CHUNK_SECONDS: f64 = 90.0;

/// `HH:MM:SS.mmm`, `MM:SS.mmm` (VTT) or `HH:MM:SS,mmm` (SRT) to seconds.
/// Plain digits only ("inf", "1e9" and signs are not times), and at most `MAX_HOURS`.
pub fn time_to_seconds(t: &str) -> Option<f64> {
    let t = t.trim().replace(',', ".");
    let parts: Vec<&str> = t.split(':').collect();
    let whole = |v: &str| {
        (!v.is_empty() && v.len() <= 4 && v.bytes().all(|b| b.is_ascii_digit()))
            .then(|| v.parse::<f64>().ok())
            .flatten()
    };
    let seconds = |v: &str| {
        let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
        let frac_ok =
            !frac.is_empty() && frac.len() <= 9 && frac.bytes().all(|b| b.is_ascii_digit());
        whole(int)
            .filter(|_| frac_ok)
            .and_then(|_| v.parse::<f64>().ok())
    };
    let (h, m, s) = match parts.as_slice() {
        [h, m, s] => (whole(h)?, whole(m)?, seconds(s)?),
        [m, s] => (0.0, whole(m)?, seconds(s)?),
        _ => return None,
    };
    if m >= 60.0 || s >= 60.0 || h > MAX_HOURS {
        return None;
    }
    Some(h * 3600.0 + m * 60.0 + s)
}

/// Longer than any real call; beyond it a timestamp is corrupt or hostile.
const MAX_HOURS: f64 = 999.0;

fn parse_timing(line: &str) -> Option<(String, String, f64, f64)> {
    let (start, rest) = line.split_once("-->")?;
    let end = rest.split_whitespace().next()?;
    let (s, e) = (time_to_seconds(start)?, time_to_seconds(end)?);
    Some((
        start.trim().replace(',', "."),
        end.trim().replace(',', "."),
        s,
        e,
    ))
}

/// Removes markup tags (`<c>`, `<i>`, `</v>`, timestamps) from cue text.
fn strip_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut depth = false;
    for c in s.chars() {
        match c {
            '<' => depth = true,
            '>' if depth => depth = false,
            _ if !depth => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `Name: text` prefix names the speaker when Name is one to four capitalised words.
fn prefix_speaker(text: &str) -> Option<(String, String)> {
    let (name, rest) = text.split_once(':')?;
    let name = name.trim();
    let words: Vec<&str> = name.split_whitespace().collect();
    let plausible = !words.is_empty()
        && words.len() <= 4
        && name.len() <= 60
        && words.iter().all(|w| {
            w.chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c == '(')
        })
        && !name.chars().any(|c| c.is_ascii_digit());
    plausible.then(|| (name.to_owned(), rest.trim().to_owned()))
}

fn speaker_and_text(raw: &str) -> (String, String) {
    let trimmed = raw.trim_start();
    if let Some(after) = trimmed.strip_prefix("<v")
        && let Some(close) = after.find('>')
    {
        // `<v Name>` or `<v.loud Name>`: class names come before the first space.
        let inner = after[..close].trim_start();
        let name = match inner.strip_prefix('.') {
            Some(classed) => classed.split_once(' ').map_or("", |(_, n)| n),
            None => inner,
        }
        .trim();
        let text = strip_tags(&after[close + 1..]);
        return (
            if name.is_empty() {
                UNKNOWN_SPEAKER.to_owned()
            } else {
                name.to_owned()
            },
            text,
        );
    }
    let text = strip_tags(raw);
    match prefix_speaker(&text) {
        Some((speaker, rest)) => (speaker, rest),
        None => (UNKNOWN_SPEAKER.to_owned(), text),
    }
}

/// Parses WebVTT or SRT (detected from the content). Header-only files give no cues.
pub fn parse(text: &str) -> Result<Vec<Cue>, String> {
    let text = text
        .trim_start_matches('\u{feff}')
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let is_vtt = text.trim_start().starts_with("WEBVTT");
    let mut cues = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.trim().is_empty()).collect();
        let Some(timing_at) = lines.iter().position(|l| l.contains("-->")) else {
            continue;
        };
        if is_vtt
            && lines.first().is_some_and(|l| {
                l.starts_with("NOTE") || l.starts_with("STYLE") || l.starts_with("REGION")
            })
        {
            continue;
        }
        let Some((start_time, end_time, start_seconds, end_seconds)) =
            parse_timing(lines[timing_at])
        else {
            return Err(format!("invalid cue timing: {:?}", lines[timing_at]));
        };
        let body = lines[timing_at + 1..].join(" ");
        if body.trim().is_empty() {
            continue;
        }
        let (speaker, text) = speaker_and_text(&body);
        if text.is_empty() {
            continue;
        }
        cues.push(Cue {
            speaker,
            text,
            start_time,
            end_time,
            start_seconds,
            end_seconds,
        });
    }
    if cues.is_empty() && !is_vtt && !text.trim().is_empty() {
        return Err("no subtitle cues found (expected WebVTT or SRT)".to_owned());
    }
    Ok(cues)
}

/// A stretch of conversation of about `CHUNK_SECONDS`.
#[derive(Debug, Clone, PartialEq)]
pub struct TranscriptChunk {
    pub cues: Vec<Cue>,
}

impl TranscriptChunk {
    pub fn text(&self) -> String {
        self.cues
            .iter()
            .map(|c| format!("{}: {}", c.speaker, c.text))
            .collect::<Vec<_>>()
            .join(" ")
    }
    pub fn start_seconds(&self) -> f64 {
        self.cues.first().map_or(0.0, |c| c.start_seconds)
    }
    pub fn end_seconds(&self) -> f64 {
        self.cues.iter().map(|c| c.end_seconds).fold(0.0, f64::max)
    }
    /// The speaker who talks most in the chunk (first to speak on a tie).
    pub fn main_speaker(&self) -> String {
        let mut counts: Vec<(String, usize)> = Vec::new();
        for c in &self.cues {
            match counts.iter_mut().find(|(s, _)| *s == c.speaker) {
                Some((_, n)) => *n += c.text.len(),
                None => counts.push((c.speaker.clone(), c.text.len())),
            }
        }
        counts
            .iter()
            .max_by(|a, b| a.1.cmp(&b.1).then(std::cmp::Ordering::Greater))
            .map_or_else(|| UNKNOWN_SPEAKER.to_owned(), |(s, _)| s.clone())
    }
    pub fn speakers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in &self.cues {
            if !out.contains(&c.speaker) {
                out.push(c.speaker.clone());
            }
        }
        out
    }
}

/// Groups cues: a cue starting `CHUNK_SECONDS` or more after the chunk's start opens a new chunk.
pub fn chunk_cues(cues: &[Cue]) -> Vec<TranscriptChunk> {
    let mut out: Vec<TranscriptChunk> = Vec::new();
    let mut current: Vec<Cue> = Vec::new();
    let mut chunk_start = 0.0;
    for cue in cues {
        if current.is_empty() {
            chunk_start = cue.start_seconds;
        } else if cue.start_seconds - chunk_start >= CHUNK_SECONDS {
            out.push(TranscriptChunk {
                cues: std::mem::take(&mut current),
            });
            chunk_start = cue.start_seconds;
        }
        current.push(cue.clone());
    }
    if !current.is_empty() {
        out.push(TranscriptChunk { cues: current });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_times_are_refused() {
        for bad in [
            "inf:00:00",
            "1e300:00:00",
            "99999999:00:00.000",
            "-1:00:00",
            "00:00:NaN",
            "00:00:inf",
        ] {
            assert_eq!(time_to_seconds(bad), None, "{bad}");
        }
        let vtt = "WEBVTT\n\n9999999999:00:00.000 --> 9999999999:00:05.000\nhello\n";
        assert!(parse(vtt).is_err());
    }

    #[test]
    fn time_conversion() {
        assert!((time_to_seconds("00:00:05.120").unwrap() - 5.12).abs() < 0.001);
        assert!((time_to_seconds("00:01:30.000").unwrap() - 90.0).abs() < 0.001);
        assert!((time_to_seconds("01:15:45.500").unwrap() - 4545.5).abs() < 0.001);
        assert!((time_to_seconds("00:00:01,250").unwrap() - 1.25).abs() < 0.001);
        assert!((time_to_seconds("01:02.5").unwrap() - 62.5).abs() < 0.001);
        assert!(time_to_seconds("aa:bb").is_none());
    }

    #[test]
    fn voice_tags_name_the_speaker() {
        let vtt = "WEBVTT\n\n00:00:02.120 --> 00:00:05.890\n<v Sarah Chen>Thanks everyone for joining.\n\n\
                   00:00:06.000 --> 00:00:09.000\n<v Sarah Chen>Let's start with the roadmap.\n\n\
                   00:00:09.500 --> 00:00:11.000\n<v David Martinez>Happy to be here.</v>\n";
        let cues = parse(vtt).unwrap();
        assert_eq!(cues.len(), 3);
        assert_eq!(cues[0].speaker, "Sarah Chen");
        assert_eq!(cues[0].text, "Thanks everyone for joining.");
        assert_eq!(cues[0].start_time, "00:00:02.120");
        assert_eq!(cues[0].end_time, "00:00:05.890");
        assert!((cues[0].start_seconds - 2.12).abs() < 0.01);
        assert_eq!(cues[2].speaker, "David Martinez");
        assert_eq!(cues[2].text, "Happy to be here.");
    }

    #[test]
    fn cues_without_tags_are_unknown_and_verbatim() {
        let vtt = "WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nthe export keeps timing out\n\n2\n00:00:03.000 --> 00:00:04.000\nsame for us\n";
        let cues = parse(vtt).unwrap();
        assert_eq!(cues.len(), 2);
        assert!(cues.iter().all(|c| c.speaker == UNKNOWN_SPEAKER));
        assert_eq!(cues[0].text, "the export keeps timing out");
    }

    #[test]
    fn header_only_file_has_no_cues() {
        assert!(parse("WEBVTT").unwrap().is_empty());
        assert!(parse("WEBVTT\n\nNOTE nothing here\n").unwrap().is_empty());
    }

    #[test]
    fn srt_with_name_prefixes() {
        let srt = "1\r\n00:00:01,000 --> 00:00:03,500\r\nMaria Lopez: The dashboard takes ages to load.\r\n\r\n2\r\n00:00:04,000 --> 00:00:06,000\r\nPM: Noted.\r\n";
        let cues = parse(srt).unwrap();
        assert_eq!(cues.len(), 2);
        assert_eq!(cues[0].speaker, "Maria Lopez");
        assert_eq!(cues[0].text, "The dashboard takes ages to load.");
        assert_eq!(cues[1].speaker, "PM");
        assert!(parse("just some text\nwithout cues").is_err());
    }

    #[test]
    fn cues_group_into_ninety_second_chunks() {
        let cues: Vec<Cue> = (0..10)
            .map(|i| Cue {
                speaker: if i % 2 == 0 { "A".into() } else { "B".into() },
                text: format!("line {i}"),
                start_time: String::new(),
                end_time: String::new(),
                start_seconds: i as f64 * 30.0,
                end_seconds: i as f64 * 30.0 + 25.0,
            })
            .collect();
        let chunks = chunk_cues(&cues);
        // 0,30,60 | 90,120,150 | 180,210,240 | 270
        assert_eq!(
            chunks.iter().map(|c| c.cues.len()).collect::<Vec<_>>(),
            vec![3, 3, 3, 1]
        );
        assert_eq!(chunks[0].text(), "A: line 0 B: line 1 A: line 2");
        assert_eq!(chunks[1].start_seconds(), 90.0);
        assert_eq!(chunks[0].speakers(), vec!["A".to_owned(), "B".to_owned()]);
    }
}
