// Helpers shared by the CDCMTK implementation files (not part of the C API).
#ifndef CDCMTK_INTERNAL_H
#define CDCMTK_INTERNAL_H

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"

#include <cstddef>
#include <string>

#include "CDCMTK.h"

namespace cdcmtk {

/// Copies `text` into the caller's message buffer, cut to fit and NUL-terminated.
void setMessage(char *message, size_t capacity, const std::string &text);

/// How a file looks before DCMTK parses it.
enum class FileKind {
    /// The 128-byte preamble is followed by "DICM": a DICOM Part 10 file.
    part10,
    /// No "DICM" marker, but the file starts like a little-endian dataset (group 0x0002 or 0x0008),
    /// as old ACR-NEMA style exports do.
    bareDataset,
    /// Anything else, or unreadable: not DICOM.
    other,
};

/// Runs `body`, turning any C++ exception into CDCMTK_INTERNAL_ERROR with its message: none may
/// cross the C boundary.
template <typename Body>
cdcmtk_status guarded(char *message, size_t capacity, Body body) {
    try {
        return body();
    } catch (const std::exception &error) {
        setMessage(message, capacity, error.what());
        return CDCMTK_INTERNAL_ERROR;
    } catch (...) {
        setMessage(message, capacity, "unexpected C++ exception");
        return CDCMTK_INTERNAL_ERROR;
    }
}

/// Looks at the first bytes of `path`.
FileKind classify(const char *path);

/// Parses `path` into `file`. Element values longer than DCMTK's default read length (the pixels)
/// stay on disk until they are asked for. A file that is not DICOM answers CDCMTK_NOT_DICOM, a
/// DICOM file DCMTK cannot parse CDCMTK_READ_FAILED; both with a message.
cdcmtk_status load(const char *path, DcmFileFormat &file, char *message, size_t capacity);

}  // namespace cdcmtk

#endif
