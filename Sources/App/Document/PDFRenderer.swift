import CHaru
import Foundation

/// Renders laid-out pages to PDF bytes with libharu: A4 pages, the standard Helvetica fonts in
/// WinAnsiEncoding (French text as is), compressed streams. One renderer makes one document; it is
/// not shared between tasks.
final class PDFRenderer {
    private let document: HPDF_Doc
    private let regular: HPDF_Font
    private let bold: HPDF_Font

    init(title: String, author: String) throws {
        guard let document = HPDF_New(nil, nil) else { throw DocumentError("libharu could not create a document (out of memory)") }
        self.document = document
        HPDF_SetCompressionMode(document, UInt32(HPDF_COMP_ALL))
        guard let regular = HPDF_GetFont(document, "Helvetica", "WinAnsiEncoding"),
              let bold = HPDF_GetFont(document, "Helvetica-Bold", "WinAnsiEncoding") else {
            HPDF_Free(document)
            throw DocumentError("libharu has no Helvetica in WinAnsiEncoding")
        }
        (self.regular, self.bold) = (regular, bold)
        HPDF_SetInfoAttr(document, HPDF_INFO_TITLE, WinAnsiEncoding.encode(title))
        HPDF_SetInfoAttr(document, HPDF_INFO_AUTHOR, WinAnsiEncoding.encode(author))
        HPDF_SetInfoAttr(document, HPDF_INFO_CREATOR, "swift-messenger student support")
    }

    deinit { HPDF_Free(document) }

    /// The width of `text` in points, as it will be drawn.
    func width(of text: String, font: PageItem.Font, size: Double) -> Double {
        let encoded = WinAnsiEncoding.encode(text)
        let measured = encoded.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt8.self) { HPDF_Font_TextWidth(handle(font), $0.baseAddress, UInt32(buffer.count - 1)) }
        }
        return Double(measured.width) * size / 1000
    }

    /// Adds one page with its items.
    func add(page items: [PageItem]) throws {
        guard let page = HPDF_AddPage(document) else { throw error("adding a page") }
        HPDF_Page_SetSize(page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT)
        HPDF_Page_SetLineWidth(page, 0.5)
        HPDF_Page_SetGrayStroke(page, 0.6)
        for item in items {
            switch item {
            case .band(let x, let y, let width, let height):
                HPDF_Page_SetGrayFill(page, 0.9)
                HPDF_Page_Rectangle(page, Float(x), Float(y), Float(width), Float(height))
                HPDF_Page_Fill(page)
                HPDF_Page_SetGrayFill(page, 0)
            case .line(let fromX, let fromY, let toX, let toY):
                HPDF_Page_MoveTo(page, Float(fromX), Float(fromY))
                HPDF_Page_LineTo(page, Float(toX), Float(toY))
                HPDF_Page_Stroke(page)
            case .text(let text, let x, let y, let font, let size):
                HPDF_Page_BeginText(page)
                HPDF_Page_SetFontAndSize(page, handle(font), Float(size))
                HPDF_Page_TextOut(page, Float(x), Float(y), WinAnsiEncoding.encode(text))
                HPDF_Page_EndText(page)
            }
        }
        if HPDF_GetError(document) != HPDF_OK { throw error("drawing a page") }
    }

    /// The document's bytes.
    func data() throws -> Data {
        guard HPDF_SaveToStream(document) == HPDF_OK else { throw error("saving the document") }
        var data = Data()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            var size = UInt32(chunk.count)
            let status = HPDF_ReadFromStream(document, &chunk, &size)
            data.append(contentsOf: chunk.prefix(Int(size)))
            if status == HPDF_STREAM_EOF || size == 0 { break }
            guard status == HPDF_OK else { throw error("reading the saved document") }
        }
        return data
    }

    private func handle(_ font: PageItem.Font) -> HPDF_Font {
        font == .bold ? bold : regular
    }

    private func error(_ doing: String) -> DocumentError {
        let code = HPDF_GetError(document)
        let detail = HPDF_GetErrorDetail(document)
        HPDF_ResetError(document)
        return DocumentError("libharu failed \(doing): error 0x\(String(code, radix: 16, uppercase: true)) (detail \(detail))")
    }
}

/// A document that cannot be made: what failed, naming it.
struct DocumentError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
