//! Letters at the edge: reading a landlord's template folder, and the printable letter page.

use std::path::Path;

/// The templates in a folder: every `<name>.html` file, by name (`acknowledgement`, `footer`…).
/// Other files are refused by name, so a misspelt template is not silently ignored; the
/// templates themselves are checked by [`p3_domain::letter::Templates::load`].
pub fn read_template_dir(dir: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let (Some(stem), Some("html")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: letter templates are `<name>.html` files",
                    path.display()
                ),
            ));
        };
        out.push((stem.to_string(), std::fs::read_to_string(&path)?));
    }
    out.sort();
    Ok(out)
}
