# ocr/: rules are added when the module lands (issue 3).
