//! The `Exec` key's quoting (Desktop Entry Specification, "The Exec key")
//! and the escapes of the `string` type: quoting an argument for an Exec
//! value, and splitting an Exec value into arguments as a reader would.
//! Pure.

/// The Exec reserved characters (Desktop Entry spec, "The Exec key"): an
/// argument holding any of them must be quoted.
const RESERVED: &[char] = &[
    ' ', '\t', '\n', '"', '\'', '\\', '>', '<', '~', '|', '&', ';', '$', '*', '?', '#', '(', ')',
    '`',
];

/// Quotes one argument for an Exec value: `%` doubled (field codes are
/// expanded after unquoting), then double quotes with `"` `` ` `` `$` `\`
/// backslash-escaped when the argument holds a reserved character, then the
/// escapes of the string type (`\\`, `\n`, `\t`, `\r`), which are undone
/// first by readers.
pub fn quote_arg(arg: &str) -> String {
    let percent = arg.replace('%', "%%");
    let quoted = if percent.is_empty() || percent.contains(RESERVED) {
        let mut q = String::with_capacity(percent.len() + 2);
        q.push('"');
        for c in percent.chars() {
            if matches!(c, '"' | '`' | '$' | '\\') {
                q.push('\\');
            }
            q.push(c);
        }
        q.push('"');
        q
    } else {
        percent
    };
    escape_string(&quoted)
}

/// The escapes of the Desktop Entry `string` type.
pub fn escape_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// A path shown in a comment line: control characters would end the line.
pub fn comment_safe(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

/// Splits an Exec value into its arguments as a reader would: string
/// escapes undone, then double-quoted arguments unquoted. Field codes are
/// left in place. Lenient about what the spec only discourages (an unknown
/// escape, a reserved character outside quotes); an unterminated quote is an
/// error.
pub fn split_exec(value: &str) -> Result<Vec<String>, &'static str> {
    // The string type's escapes.
    let mut unescaped = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            unescaped.push(c);
            continue;
        }
        match chars.next() {
            Some('s') => unescaped.push(' '),
            Some('n') => unescaped.push('\n'),
            Some('t') => unescaped.push('\t'),
            Some('r') => unescaped.push('\r'),
            Some('\\') => unescaped.push('\\'),
            Some(other) => {
                unescaped.push('\\');
                unescaped.push(other);
            }
            None => return Err("it ends with a lone backslash"),
        }
    }
    // The Exec quoting.
    let mut args = Vec::new();
    let mut current: Option<String> = None;
    let mut chars = unescaped.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => {
                if let Some(arg) = current.take() {
                    args.push(arg);
                }
            }
            '"' => {
                let arg = current.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        None => return Err("a double quote is not closed"),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '`' | '$' | '\\')) => arg.push(e),
                            Some(other) => {
                                arg.push('\\');
                                arg.push(other);
                            }
                            None => return Err("a double quote is not closed"),
                        },
                        Some(other) => arg.push(other),
                    }
                }
            }
            other => current.get_or_insert_with(String::new).push(other),
        }
    }
    if let Some(arg) = current {
        args.push(arg);
    }
    Ok(args)
}
