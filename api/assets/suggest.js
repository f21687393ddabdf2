// Suggestions as you type, filters that apply when chosen, and the 附近 button; every form
// works without this script.
(function(){var q=document.getElementById('q'),list=document.getElementById('suggestions'),t,last='';
if(q&&list){q.addEventListener('input',function(){clearTimeout(t);var v=q.value.trim();if(!v||v===last)return;
t=setTimeout(function(){last=v;fetch('/api/v1/merchants/suggest?q='+encodeURIComponent(v)).then(function(r){return r.ok?r.json():{suggestions:[]}}).then(function(d){
list.textContent='';d.suggestions.forEach(function(s){var o=document.createElement('option');o.value=s.sign_name||s.name;o.label=s.name+' · '+s.street;list.appendChild(o);});}).catch(function(){});},150);});}
document.querySelectorAll('form.filters select').forEach(function(s){s.addEventListener('change',function(){s.form.submit();});});
// 附近: the position is asked for only when the button is pressed, and goes nowhere but
// this site's own /nearby page.
var b=document.getElementById('nearby'),say=document.getElementById('nearby-status');
if(b){b.hidden=false;b.addEventListener('click',function(){
if(!navigator.geolocation){if(say)say.textContent='这个浏览器不能获取位置。';return;}
if(say)say.textContent='正在获取您的位置……';
navigator.geolocation.getCurrentPosition(function(p){
var u='/nearby?lat='+p.coords.latitude.toFixed(6)+'&lng='+p.coords.longitude.toFixed(6);
var v=q?q.value.trim():'';if(v)u+='&q='+encodeURIComponent(v);location.href=u;},
function(e){if(say)say.textContent=e.code===1?'您没有允许获取位置，附近的商户无法列出。':'暂时无法获取您的位置，请稍后再试。';},
{enableHighAccuracy:false,timeout:10000,maximumAge:60000});});}
})();
