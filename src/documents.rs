//! Uploaded documents (evidence, defences, reports): checked by content, not by name;
//! stored under random names in the storage folder (outside anything served, shared by
//! all nodes), with their SHA-256; read back only through an authorised handler.

use std::path::{Path, PathBuf};

use actix_multipart::Multipart;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

/// The kinds of file accepted, recognised by their first bytes.
pub const ACCEPTED: &[(&str, &str)] = &[
    ("application/pdf", "pdf"),
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("application/vnd.oasis.opendocument.text", "odt"),
    ("application/vnd.oasis.opendocument.spreadsheet", "ods"),
    ("text/plain", "txt"),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    Empty,
    TooLarge,
    /// Not one of the accepted kinds, whatever its name says.
    KindNotAccepted,
    Missing,
}

impl UploadProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            Self::Empty => "upload-empty",
            Self::TooLarge => "upload-too-large",
            Self::KindNotAccepted => "upload-kind-not-accepted",
            Self::Missing => "upload-missing",
        }
    }
}

/// The content type of `bytes`, from their content. Plain text has no signature: it is
/// accepted when it is valid UTF-8 without control characters other than whitespace.
pub fn detect_content_type(bytes: &[u8]) -> Result<&'static str, UploadProblem> {
    if bytes.is_empty() {
        return Err(UploadProblem::Empty);
    }
    if let Some(kind) = infer::get(bytes) {
        return ACCEPTED
            .iter()
            .find(|(mime, _)| *mime == kind.mime_type())
            .map(|(mime, _)| *mime)
            .ok_or(UploadProblem::KindNotAccepted);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| UploadProblem::KindNotAccepted)?;
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(UploadProblem::KindNotAccepted);
    }
    Ok("text/plain")
}

/// A file name safe to show and to offer for download: no folders, no control
/// characters, at most 120 characters, never empty.
pub fn safe_file_name(declared: &str, content_type: &str) -> String {
    let base = declared.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '<' | '>' | ':' | '|' | '?' | '*'))
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .chars()
        .take(120)
        .collect();
    if cleaned.is_empty() {
        let extension = ACCEPTED
            .iter()
            .find(|(mime, _)| *mime == content_type)
            .map(|(_, ext)| *ext)
            .unwrap_or("bin");
        format!("document.{extension}")
    } else {
        cleaned
    }
}

/// A file written to the storage folder.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub storage_key: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub content_type: &'static str,
    pub file_name: String,
}

/// Where a key lives: two levels of folders from the key keep folders small.
pub fn path_for(storage_dir: &Path, storage_key: &str) -> Option<PathBuf> {
    let valid = storage_key.len() >= 8
        && storage_key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then(|| {
        storage_dir
            .join(&storage_key[..2])
            .join(&storage_key[2..4])
            .join(storage_key)
    })
}

/// Checks and writes one uploaded file (blocking: call it off the executor). The file is
/// written to a temporary name and renamed, so a crash never leaves half a file under a key.
pub fn store(
    storage_dir: &Path,
    declared_name: &str,
    bytes: &[u8],
    max_bytes: usize,
) -> Result<StoredFile, StoreError> {
    if bytes.len() > max_bytes {
        return Err(StoreError::Problem(UploadProblem::TooLarge));
    }
    let content_type = detect_content_type(bytes).map_err(StoreError::Problem)?;
    let storage_key = crate::accounts::tokens::random_id();
    let path = path_for(storage_dir, &storage_key).expect("random ids are valid keys");
    let folder = path.parent().expect("a key path has a folder");
    std::fs::create_dir_all(folder)?;
    let temporary = folder.join(format!(".{storage_key}.partial"));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, &path)?;
    Ok(StoredFile {
        storage_key,
        sha256: Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect(),
        size_bytes: bytes.len() as i64,
        content_type,
        file_name: safe_file_name(declared_name, content_type),
    })
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("upload refused: {0:?}")]
    Problem(UploadProblem),
    #[error("storage: {0}")]
    Io(#[from] std::io::Error),
}

/// A multipart form read into memory with limits: text fields and at most one file per
/// field name. The total size is capped so a huge body is refused, not buffered.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: Vec<(String, String)>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl UploadForm {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FormError {
    #[error("the upload is larger than allowed")]
    TooLarge,
    #[error("malformed multipart body")]
    Malformed,
}

pub async fn read_multipart(mut payload: Multipart, max_total: usize) -> Result<UploadForm, FormError> {
    let mut form = UploadForm::default();
    let mut total = 0usize;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| FormError::Malformed)?;
        let name = field.name().unwrap_or_default().to_owned();
        let file_name = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_owned);
        let mut data = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| FormError::Malformed)?;
            total += chunk.len();
            if total > max_total {
                return Err(FormError::TooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        match file_name {
            Some(file_name) if !file_name.is_empty() || !data.is_empty() => form.files.push((name, file_name, data)),
            Some(_) => {}
            None => form
                .fields
                .push((name, String::from_utf8(data).map_err(|_| FormError::Malformed)?)),
        }
    }
    Ok(form)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_decides_the_type_not_the_name() {
        assert_eq!(detect_content_type(b"%PDF-1.7\n%..."), Ok("application/pdf"));
        assert_eq!(
            detect_content_type(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]),
            Ok("image/png")
        );
        assert_eq!(
            detect_content_type("Geachte heer,\nMijn klacht…".as_bytes()),
            Ok("text/plain")
        );
        // An executable named invoice.pdf is still an executable.
        assert_eq!(
            detect_content_type(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),
            Err(UploadProblem::KindNotAccepted)
        );
        assert_eq!(
            detect_content_type(b"\x7fELF\x02\x01\x01"),
            Err(UploadProblem::KindNotAccepted)
        );
        assert_eq!(
            detect_content_type(b"binary\x00junk"),
            Err(UploadProblem::KindNotAccepted)
        );
        assert_eq!(detect_content_type(b""), Err(UploadProblem::Empty));
    }

    #[test]
    fn file_names_lose_folders_and_dangerous_characters() {
        assert_eq!(safe_file_name("../../etc/passwd", "text/plain"), "passwd");
        assert_eq!(
            safe_file_name("C:\\Users\\jan\\factuur mei.pdf", "application/pdf"),
            "factuur mei.pdf"
        );
        assert_eq!(safe_file_name("..", "application/pdf"), "document.pdf");
        assert_eq!(safe_file_name("a\u{0}b\"<script>.txt", "text/plain"), "abscript.txt");
        assert_eq!(safe_file_name(&"x".repeat(500), "text/plain").len(), 120);
    }

    #[test]
    fn storage_keys_cannot_point_outside_the_storage_folder() {
        let root = Path::new("/srv/uploads");
        assert_eq!(
            path_for(root, "abcdefgh12"),
            Some(PathBuf::from("/srv/uploads/ab/cd/abcdefgh12"))
        );
        assert_eq!(path_for(root, "../../etc/passwd"), None);
        assert_eq!(path_for(root, "short"), None);
    }

    #[test]
    fn stored_files_are_checked_hashed_and_capped() {
        let dir = tempfile::tempdir().unwrap();
        let stored = store(dir.path(), "brief.txt", b"Geachte heer", 1000).unwrap();
        assert_eq!(
            stored.sha256,
            "4f6e7d660928c614fe79f84f4b75df46bde80bcf3f93f0cd5cead9038e6a1c8e"
        );
        assert_eq!(stored.size_bytes, 12);
        assert_eq!(
            std::fs::read(path_for(dir.path(), &stored.storage_key).unwrap()).unwrap(),
            b"Geachte heer"
        );
        assert!(matches!(
            store(dir.path(), "big.txt", &[b'a'; 2000], 1000),
            Err(StoreError::Problem(UploadProblem::TooLarge))
        ));
    }
}
