Attribute VB_Name = "TdktRibbon"
Option Explicit
' tdkt ribbon callback. This file must stay pure ASCII: VBA source is stored in
' code page 1252, so Vietnamese text would turn into "?". Every user-visible
' message is written by Python (tdkt_lib.addin.ribbon), never here.
'
' Every button of customUI.xml has onAction="TdktRibbon.TdktRibbonAction".
' The button id goes to Python, which looks it up in its handler table, so a
' new button is an XML edit plus a Python handler, never a VBA edit.

Public Const TDKT_VERSION As String = "0.0.0"

Public Sub TdktRibbonAction(control As IRibbonControl)
    TdktDispatch control.Id
End Sub

Public Sub TdktDispatch(ByVal controlId As String)
    If TdktIsSafeId(controlId) Then
        RunPython "import tdkt_lib.addin.ribbon as r; r.dispatch('" & controlId & "')"
    Else
        ' Only letters, digits and "_" may reach the Python command line.
        RunPython "import tdkt_lib.addin.ribbon as r; r.dispatch(None)"
    End If
End Sub

Private Function TdktIsSafeId(ByVal s As String) As Boolean
    Dim i As Long
    TdktIsSafeId = False
    If Len(s) = 0 Or Len(s) > 64 Then Exit Function
    For i = 1 To Len(s)
        If Not (Mid$(s, i, 1) Like "[A-Za-z0-9_]") Then Exit Function
    Next i
    TdktIsSafeId = True
End Function
