// A small C API over DCMTK (C++) for reading CT slices: one file's header fields, and its pixels
// decoded to a caller buffer. No C++ exception crosses this boundary: every failure is a status
// and a message written into the caller's buffer.
#ifndef CDCMTK_H
#define CDCMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// What a call found. Only CDCMTK_OK fills the outputs.
typedef enum {
    CDCMTK_OK = 0,
    /// Not a DICOM file (no "DICM" marker and no dataset DCMTK can parse): skip it.
    CDCMTK_NOT_DICOM = 1,
    /// A DICOM file (it has the "DICM" marker) that DCMTK could not parse: damaged or cut short.
    CDCMTK_READ_FAILED = 2,
    /// An attribute the decoder needs is missing or invalid (Rows, Columns, BitsAllocated, ...).
    CDCMTK_MISSING_ATTRIBUTE = 3,
    /// Pixels lungseg does not read: not MONOCHROME1/2, several samples, or not 8/16 bits allocated.
    CDCMTK_UNSUPPORTED_PIXELS = 4,
    /// The pixel data could not be decompressed or is shorter than the header promises.
    CDCMTK_DECODE_FAILED = 5,
    /// The caller's buffer does not match Rows x Columns x NumberOfFrames.
    CDCMTK_WRONG_BUFFER_SIZE = 6,
    /// DCMTK's data dictionary could not be loaded (needed to read implicit-VR files).
    CDCMTK_NO_DICTIONARY = 7,
    /// Anything else (out of memory, an unexpected C++ exception).
    CDCMTK_INTERNAL_ERROR = 8,
} cdcmtk_status;

/// The header fields of one DICOM file that lungseg needs to build a volume. Strings are
/// NUL-terminated with surrounding spaces removed; multi-valued strings keep DICOM's backslashes.
/// A `has_*` flag of 0 means the attribute is absent (or unparsable) and its value is meaningless.
typedef struct {
    char sop_class_uid[68];
    char modality[20];
    char series_instance_uid[68];
    char series_description[260];
    char image_type[260];
    char photometric_interpretation[20];
    char transfer_syntax_uid[68];

    int has_series_number;
    int32_t series_number;
    int has_instance_number;
    int32_t instance_number;

    int has_image_position;
    double image_position[3];
    int has_image_orientation;
    double image_orientation[6];
    int has_pixel_spacing;
    double pixel_spacing[2];

    uint16_t rows;
    uint16_t columns;
    /// 1 when the attribute is absent.
    int32_t number_of_frames;
    uint16_t bits_allocated;
    uint16_t bits_stored;
    uint16_t high_bit;
    uint16_t pixel_representation;
    uint16_t samples_per_pixel;

    int has_rescale_slope;
    double rescale_slope;
    int has_rescale_intercept;
    double rescale_intercept;

    /// 1 when the file holds a PixelData element.
    int has_pixel_data;
} cdcmtk_header;

/// Loads DCMTK's data dictionary, registers the JPEG, JPEG-LS and RLE decoders and silences
/// DCMTK's logger, once per process (thread-safe; the other functions call it themselves).
/// Answers CDCMTK_NO_DICTIONARY, with a message, when the dictionary could not be loaded.
cdcmtk_status cdcmtk_initialize(char *message, size_t message_capacity);

/// Reads the header of `path` without loading large element values (the pixels stay on disk).
/// On CDCMTK_READ_FAILED (a damaged DICOM file) `header` holds the attributes parsed before the
/// damage (empty strings and zeros for the rest).
cdcmtk_status cdcmtk_read_header(const char *path, cdcmtk_header *header, char *message, size_t message_capacity);

/// Decodes every frame of `path` into `values` (`count` must be Rows x Columns x NumberOfFrames),
/// row by row (column index fastest), as the stored values: masked to BitsStored and sign-extended
/// when PixelRepresentation is 1, before RescaleSlope/RescaleIntercept. Compressed transfer
/// syntaxes (JPEG, JPEG-LS, RLE) are decompressed to little-endian explicit first.
cdcmtk_status cdcmtk_decode_pixels(const char *path, float *values, size_t count, char *message, size_t message_capacity);

/// One segment of a segmentation: the label value it is made of, its label, and its coded
/// category and type (code value, coding scheme designator, code meaning).
typedef struct {
    uint8_t value;
    const char *label;
    const char *category_code, *category_scheme, *category_meaning;
    const char *type_code, *type_scheme, *type_meaning;
} cdcmtk_segment;

/// Writes `labels` (slice_count x Rows x Columns, slice k on the k-th source file, pixels row by
/// row) as a DICOM Segmentation (BINARY) at `output`: one segment per entry of `segments`, one
/// frame per segment and slice that holds it (empty frames left out), each frame referencing its
/// source slice (SOP Class/Instance UID, position); patient, study and frame of reference copied
/// from the first source file. `algorithm_parameters` (the model's provenance) goes into each
/// segment's Algorithm Parameters.
cdcmtk_status cdcmtk_write_segmentation(
    const char *output, const char *const *source_paths, size_t slice_count, const uint8_t *labels,
    const cdcmtk_segment *segments, size_t segment_count, const char *series_instance_uid, const char *sop_instance_uid,
    const char *software_version, const char *algorithm_parameters, char *message, size_t message_capacity);

/// Reads a DICOM Segmentation back onto the grid of its source series: `labels` (slice_count x
/// Rows x Columns, zeroed by the caller) gets each frame's segment number where the frame is set,
/// on the slice whose SOP Instance UID the frame references.
cdcmtk_status cdcmtk_read_segmentation(
    const char *path, const char *const *source_paths, size_t slice_count, uint16_t rows, uint16_t columns, uint8_t *labels,
    size_t *segment_count, size_t *frame_count, char *message, size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
