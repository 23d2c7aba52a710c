// cdcmtk_decode_pixels: one file's frames, decompressed, as stored values.
#include "cdcmtk_internal.h"

#include <string>

namespace {

/// The pixel attributes the decoder relies on, checked before any decompression.
struct PixelFormat {
    Uint16 rows = 0, columns = 0, bitsAllocated = 0, bitsStored = 0, highBit = 0, representation = 0, samples = 0;
    Sint32 frames = 1;
    OFString photometric;
};

cdcmtk_status readFormat(DcmItem &dataset, PixelFormat &format, std::string &problem) {
    if (dataset.findAndGetUint16(DCM_Rows, format.rows).bad() || format.rows == 0 ||
        dataset.findAndGetUint16(DCM_Columns, format.columns).bad() || format.columns == 0) {
        problem = "Rows or Columns is missing or zero";
        return CDCMTK_MISSING_ATTRIBUTE;
    }
    if (dataset.findAndGetUint16(DCM_BitsAllocated, format.bitsAllocated).bad() ||
        dataset.findAndGetUint16(DCM_PixelRepresentation, format.representation).bad()) {
        problem = "BitsAllocated or PixelRepresentation is missing";
        return CDCMTK_MISSING_ATTRIBUTE;
    }
    if (dataset.findAndGetUint16(DCM_BitsStored, format.bitsStored).bad()) format.bitsStored = format.bitsAllocated;
    if (dataset.findAndGetUint16(DCM_HighBit, format.highBit).bad()) format.highBit = format.bitsStored - 1;
    if (dataset.findAndGetUint16(DCM_SamplesPerPixel, format.samples).bad()) format.samples = 1;
    if (dataset.findAndGetSint32(DCM_NumberOfFrames, format.frames).bad()) format.frames = 1;
    dataset.findAndGetOFString(DCM_PhotometricInterpretation, format.photometric);

    if (format.photometric != "MONOCHROME1" && format.photometric != "MONOCHROME2") {
        problem = "PhotometricInterpretation '" + std::string(format.photometric.c_str()) +
                  "' (only MONOCHROME1 and MONOCHROME2 are read)";
        return CDCMTK_UNSUPPORTED_PIXELS;
    }
    if (format.samples != 1) {
        problem = "SamplesPerPixel " + std::to_string(format.samples) + " (only 1 is read)";
        return CDCMTK_UNSUPPORTED_PIXELS;
    }
    if (format.bitsAllocated != 8 && format.bitsAllocated != 16) {
        problem = "BitsAllocated " + std::to_string(format.bitsAllocated) + " (only 8 and 16 are read)";
        return CDCMTK_UNSUPPORTED_PIXELS;
    }
    if (format.bitsStored == 0 || format.bitsStored > format.bitsAllocated || format.highBit + 1 != format.bitsStored ||
        format.representation > 1) {
        problem = "BitsStored " + std::to_string(format.bitsStored) + ", HighBit " + std::to_string(format.highBit) +
                  ", PixelRepresentation " + std::to_string(format.representation) +
                  " (the stored bits must be the low ones; representation 0 or 1)";
        return CDCMTK_UNSUPPORTED_PIXELS;
    }
    if (format.frames < 1) {
        problem = "NumberOfFrames " + std::to_string(format.frames);
        return CDCMTK_MISSING_ATTRIBUTE;
    }
    return CDCMTK_OK;
}

/// Stored bits to a number: the unused high bits masked off, the sign extended for signed pixels.
template <typename Word>
void convert(const Word *words, size_t count, const PixelFormat &format, float *values) {
    const long range = 1L << format.bitsStored;
    const long mask = range - 1;
    const long signBit = range >> 1;
    const bool isSigned = format.representation == 1;
    for (size_t index = 0; index < count; ++index) {
        long value = static_cast<long>(words[index]) & mask;
        if (isSigned && (value & signBit) != 0) value -= range;
        values[index] = static_cast<float>(value);
    }
}

cdcmtk_status decode(const char *path, float *values, size_t count, std::string &problem, char *message, size_t capacity) {
    DcmFileFormat file;
    cdcmtk_status loaded = cdcmtk::load(path, file, message, capacity);
    if (loaded != CDCMTK_OK) return loaded;
    DcmDataset &dataset = *file.getDataset();

    PixelFormat format;
    cdcmtk_status checked = readFormat(dataset, format, problem);
    if (checked != CDCMTK_OK) return checked;
    const size_t expected = size_t(format.rows) * format.columns * size_t(format.frames);
    if (count != expected) {
        problem = "the buffer holds " + std::to_string(count) + " values, the image " + std::to_string(expected);
        return CDCMTK_WRONG_BUFFER_SIZE;
    }

    const std::string syntax = DcmXfer(dataset.getOriginalXfer()).getXferName();
    OFCondition condition = dataset.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    if (condition.bad() || !dataset.canWriteXfer(EXS_LittleEndianExplicit)) {
        problem = "cannot decompress " + syntax + (condition.bad() ? std::string(": ") + condition.text() : std::string());
        return CDCMTK_DECODE_FAILED;
    }
    DcmElement *pixels = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, pixels).bad() || pixels == nullptr) {
        problem = "no PixelData";
        return CDCMTK_MISSING_ATTRIBUTE;
    }
    const size_t bytesNeeded = expected * (format.bitsAllocated / 8);
    if (format.bitsAllocated == 16) {
        Uint16 *words = nullptr;
        condition = pixels->getUint16Array(words);
        if (condition.bad() || words == nullptr || pixels->getLength() < bytesNeeded) {
            problem = "the pixel data (" + syntax + ") is shorter than Rows x Columns x NumberOfFrames";
            return CDCMTK_DECODE_FAILED;
        }
        convert(words, expected, format, values);
    } else {
        Uint8 *bytes = nullptr;
        condition = pixels->getUint8Array(bytes);
        if (condition.bad() || bytes == nullptr || pixels->getLength() < bytesNeeded) {
            problem = "the pixel data (" + syntax + ") is shorter than Rows x Columns x NumberOfFrames";
            return CDCMTK_DECODE_FAILED;
        }
        convert(bytes, expected, format, values);
    }
    return CDCMTK_OK;
}

}  // namespace

extern "C" cdcmtk_status cdcmtk_decode_pixels(
    const char *path, float *values, size_t count, char *message, size_t message_capacity) {
    cdcmtk_status ready = cdcmtk_initialize(message, message_capacity);
    if (ready != CDCMTK_OK) return ready;
    try {
        std::string problem;
        cdcmtk_status status = decode(path, values, count, problem, message, message_capacity);
        if (!problem.empty()) cdcmtk::setMessage(message, message_capacity, problem);
        return status;
    } catch (const std::bad_alloc &) {
        cdcmtk::setMessage(message, message_capacity, "out of memory while decoding");
        return CDCMTK_INTERNAL_ERROR;
    } catch (const std::exception &error) {
        cdcmtk::setMessage(message, message_capacity, std::string("unexpected failure: ") + error.what());
        return CDCMTK_INTERNAL_ERROR;
    } catch (...) {
        cdcmtk::setMessage(message, message_capacity, "unexpected failure");
        return CDCMTK_INTERNAL_ERROR;
    }
}
