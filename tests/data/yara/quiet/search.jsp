<%@ page contentType="text/html; charset=UTF-8" %>
<%
  String q = request.getParameter("q");
  out.println("Results for " + org.apache.commons.text.StringEscapeUtils.escapeHtml4(q));
%>
