// Writes single-frame DICOM CT slices through DCMTK, in any transfer syntax lungseg reads. The
// tests build small series with it (mixed series, localizers, gaps, every codec); lungseg itself
// never writes DICOM.
#ifndef CDCMTK_WRITER_H
#define CDCMTK_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "CDCMTK.h"

#ifdef __cplusplus
extern "C" {
#endif

/// The encodings a slice can be written in.
typedef enum {
    CDCMTK_IMPLICIT_LITTLE = 0,
    CDCMTK_EXPLICIT_LITTLE = 1,
    CDCMTK_EXPLICIT_BIG = 2,
    /// JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, Selection Value 1).
    CDCMTK_JPEG_LOSSLESS_SV1 = 3,
    CDCMTK_JPEG_LS_LOSSLESS = 4,
    CDCMTK_RLE_LOSSLESS = 5,
} cdcmtk_encoding;

/// What goes into the slice. Strings may be NULL (the attribute is left out); `has_*` flags of 0
/// leave the numeric attribute out.
typedef struct {
    const char *sop_class_uid;
    const char *modality;
    const char *study_instance_uid;
    const char *series_instance_uid;
    const char *series_description;
    const char *image_type;
    const char *photometric_interpretation;
    int has_series_number;
    int32_t series_number;
    int32_t instance_number;
    int has_geometry;
    double image_position[3];
    double image_orientation[6];
    double pixel_spacing[2];
    uint16_t rows;
    uint16_t columns;
    uint16_t bits_allocated;
    uint16_t bits_stored;
    uint16_t pixel_representation;
    uint16_t samples_per_pixel;
    /// NumberOfFrames; 0 leaves the attribute out (a single frame).
    int32_t number_of_frames;
    int has_rescale;
    double rescale_slope;
    double rescale_intercept;
    cdcmtk_encoding encoding;
    /// Write a bare dataset (no preamble, no meta header), as old exports do.
    int without_meta_header;
} cdcmtk_slice;

/// Writes `slice` with `pixels` (Rows x Columns x SamplesPerPixel x frames samples of
/// BitsAllocated bits, native byte order, row by row) to `path`.
cdcmtk_status cdcmtk_write_slice(
    const char *path, const cdcmtk_slice *slice, const void *pixels, size_t pixel_bytes, char *message,
    size_t message_capacity);

#ifdef __cplusplus
}
#endif

#endif
