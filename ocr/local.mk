# ocr: rules are added when the module lands.
