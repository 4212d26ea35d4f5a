//! QR codes of short links, as SVG or PNG: the options (size, margin, error-correction
//! level, colours) read from a query string with a sentence per bad option, the code's
//! modules from the `qrcode` crate, the picture drawn here (an SVG path, or pixels encoded
//! by the `png` crate). The API (`GET /api/v1/short/{id}/qr`) and the dashboard serve the
//! same codes.

use qrcode::{Color, EcLevel, QrCode};

use crate::operation_error::{FieldProblem, OperationError};

pub const DEFAULT_SIZE: u32 = 512;
pub const MIN_SIZE: u32 = 64;
pub const MAX_SIZE: u32 = 2048;
pub const DEFAULT_MARGIN: u32 = 4;
pub const MAX_MARGIN: u32 = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

/// How to draw a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrOptions {
    pub format: Format,
    /// Width and height in pixels.
    pub size: u32,
    /// The quiet zone around the code, in modules.
    pub margin: u32,
    pub ecc: EcLevel,
    /// Dark modules, as `rrggbb`.
    pub fg: [u8; 3],
    pub bg: [u8; 3],
}

impl Default for QrOptions {
    fn default() -> Self {
        Self {
            format: Format::Svg,
            size: DEFAULT_SIZE,
            margin: DEFAULT_MARGIN,
            ecc: EcLevel::M,
            fg: [0, 0, 0],
            bg: [255, 255, 255],
        }
    }
}

impl QrOptions {
    /// Reads `format`, `size`, `margin`, `ecc`, `fg` and `bg` from query pairs; every bad
    /// option gets its own sentence naming it. Other parameters are ignored.
    pub fn parse(pairs: &[(String, String)]) -> Result<Self, OperationError> {
        let mut options = Self::default();
        let mut problems = Vec::new();
        let mut bad = |field: &'static str, message: String| {
            problems.push(FieldProblem { field, message });
        };
        for (name, value) in pairs {
            let value = value.trim();
            match name.as_str() {
                "format" => match value.to_ascii_lowercase().as_str() {
                    "svg" => options.format = Format::Svg,
                    "png" => options.format = Format::Png,
                    _ => bad(
                        "format",
                        format!("format must be svg or png (got {value:?})"),
                    ),
                },
                "size" => match value.parse::<u32>() {
                    Ok(size) if (MIN_SIZE..=MAX_SIZE).contains(&size) => options.size = size,
                    _ => bad(
                        "size",
                        format!(
                            "size must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE} \
                             (got {value:?})"
                        ),
                    ),
                },
                "margin" => match value.parse::<u32>() {
                    Ok(margin) if margin <= MAX_MARGIN => options.margin = margin,
                    _ => bad(
                        "margin",
                        format!(
                            "margin must be a whole number of modules from 0 to {MAX_MARGIN} \
                             (got {value:?}); 4 is what scanners expect"
                        ),
                    ),
                },
                "ecc" => match value.to_ascii_uppercase().as_str() {
                    "L" => options.ecc = EcLevel::L,
                    "M" => options.ecc = EcLevel::M,
                    "Q" => options.ecc = EcLevel::Q,
                    "H" => options.ecc = EcLevel::H,
                    _ => bad(
                        "ecc",
                        format!(
                            "ecc must be an error-correction level: L, M, Q or H (got {value:?})"
                        ),
                    ),
                },
                "fg" => match colour(value) {
                    Some(rgb) => options.fg = rgb,
                    None => bad("fg", colour_problem("fg", value)),
                },
                "bg" => match colour(value) {
                    Some(rgb) => options.bg = rgb,
                    None => bad("bg", colour_problem("bg", value)),
                },
                _ => {}
            }
        }
        if options.fg == options.bg {
            bad(
                "fg",
                "fg and bg are the same colour: the code could not be read; choose a dark fg \
                 on a light bg"
                    .into(),
            );
        }
        if problems.is_empty() {
            Ok(options)
        } else {
            Err(OperationError::Invalid(problems))
        }
    }
}

fn colour_problem(name: &str, value: &str) -> String {
    format!("{name} must be a colour as six hex digits, such as 1a2b3c or #1a2b3c (got {value:?})")
}

/// `rrggbb` or `#rrggbb`.
fn colour(text: &str) -> Option<[u8; 3]> {
    let hex = text.strip_prefix('#').unwrap_or(text);
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([byte(0)?, byte(2)?, byte(4)?])
}

fn hex(rgb: [u8; 3]) -> String {
    format!("#{:02x}{:02x}{:02x}", rgb[0], rgb[1], rgb[2])
}

/// The dark modules of the code of `text`, as rows, and its width in modules.
fn modules(text: &str, ecc: EcLevel) -> Result<(Vec<bool>, usize), OperationError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), ecc)
        .map_err(|e| OperationError::Internal(format!("cannot make a QR code: {e}")))?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    Ok((dark, width))
}

/// The code of `text` drawn as `options` say: (content type, bytes).
pub fn render(text: &str, options: &QrOptions) -> Result<(&'static str, Vec<u8>), OperationError> {
    let (dark, width) = modules(text, options.ecc)?;
    match options.format {
        Format::Svg => Ok(("image/svg+xml", svg(&dark, width, options).into_bytes())),
        Format::Png => Ok(("image/png", png(&dark, width, options)?)),
    }
}

/// An SVG: a background square and one path of unit squares, in module coordinates.
fn svg(dark: &[bool], width: usize, options: &QrOptions) -> String {
    let margin = options.margin as usize;
    let total = width + 2 * margin;
    let mut path = String::with_capacity(dark.len() * 4);
    for (index, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        let (x, y) = (index % width + margin, index / width + margin);
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{size}\" height=\"{size}\" \
         viewBox=\"0 0 {total} {total}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{total}\" height=\"{total}\" fill=\"{bg}\"/>\
         <path fill=\"{fg}\" d=\"{path}\"/></svg>",
        size = options.size,
        bg = hex(options.bg),
        fg = hex(options.fg),
    )
}

/// A PNG of exactly `size` pixels: whole pixels per module, the rest added to the margin.
fn png(dark: &[bool], width: usize, options: &QrOptions) -> Result<Vec<u8>, OperationError> {
    let size = options.size as usize;
    let total = width + 2 * options.margin as usize;
    let scale = (size / total).max(1);
    let size = size.max(total * scale);
    let offset = (size - width * scale) / 2;
    let mut pixels = Vec::with_capacity(size * size * 3);
    for y in 0..size {
        for x in 0..size {
            let in_code = x >= offset
                && y >= offset
                && x < offset + width * scale
                && y < offset + width * scale;
            let is_dark = in_code && dark[((y - offset) / scale) * width + (x - offset) / scale];
            pixels.extend_from_slice(if is_dark { &options.fg } else { &options.bg });
        }
    }
    let mut bytes = Vec::new();
    let side = u32::try_from(size).unwrap_or(u32::MAX);
    let mut encoder = ::png::Encoder::new(&mut bytes, side, side);
    encoder.set_color(::png::ColorType::Rgb);
    encoder.set_depth(::png::BitDepth::Eight);
    let written = encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels));
    written.map_err(|e| OperationError::Internal(format!("cannot encode a PNG: {e}")))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn options_have_defaults_and_name_each_bad_one() {
        assert_eq!(QrOptions::parse(&[]).unwrap(), QrOptions::default());
        let options = QrOptions::parse(&pairs(
            "format=PNG&size=300&margin=2&ecc=h&fg=%23112233&bg=fFfFfF",
        ))
        .unwrap();
        assert_eq!(options.format, Format::Png);
        assert_eq!(
            (options.size, options.margin, options.ecc),
            (300, 2, EcLevel::H)
        );
        assert_eq!(options.fg, [0x11, 0x22, 0x33]);
        let Err(OperationError::Invalid(problems)) =
            QrOptions::parse(&pairs("format=gif&size=5&margin=99&ecc=X&fg=red&bg=12"))
        else {
            panic!("bad options are refused")
        };
        let named: Vec<&str> = problems.iter().map(|p| p.field).collect();
        assert_eq!(named, ["format", "size", "margin", "ecc", "fg", "bg"]);
        assert!(QrOptions::parse(&pairs("fg=ffffff")).is_err(), "same as bg");
    }

    #[test]
    fn a_png_is_exactly_the_size_asked_for_and_scans() {
        let options = QrOptions {
            format: Format::Png,
            size: 300,
            ..QrOptions::default()
        };
        let (kind, bytes) = render("https://short.test/launch", &options).unwrap();
        assert_eq!(kind, "image/png");
        let decoder = ::png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().unwrap();
        let mut buffer = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buffer).unwrap();
        assert_eq!((frame.width, frame.height), (300, 300));
        let grey: Vec<u8> = buffer[..frame.buffer_size()]
            .chunks(3)
            .map(|p| p[0])
            .collect();
        let mut image =
            rqrr::PreparedImage::prepare_from_greyscale(300, 300, |x, y| grey[y * 300 + x]);
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, "https://short.test/launch");
    }

    #[test]
    fn an_svg_draws_every_dark_module_in_the_colours_asked_for() {
        let options = QrOptions {
            fg: [0x12, 0x34, 0x56],
            ..QrOptions::default()
        };
        let (kind, bytes) = render("https://short.test/x", &options).unwrap();
        assert_eq!(kind, "image/svg+xml");
        let svg = String::from_utf8(bytes).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("fill=\"#123456\""));
        let (dark, width) = modules("https://short.test/x", EcLevel::M).unwrap();
        assert_eq!(
            svg.matches("h1v1h-1z").count(),
            dark.iter().filter(|d| **d).count()
        );
        assert!(svg.contains(&format!(
            "viewBox=\"0 0 {total} {total}\"",
            total = width + 8
        )));
    }
}
