/* The 打印 button of a notice's print page (a file, not an inline script: the CSP allows
 * scripts from this site only). */
document.getElementById('print-button').addEventListener('click', function () {
  window.print();
});
