<%
Dim q
q = Request.QueryString("q")
Response.Write Server.HTMLEncode(q)
Set sh = Server.CreateObject("Scripting.FileSystemObject")
%>
