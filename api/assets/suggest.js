// Suggestions as you type; the form works without this.
(function(){var q=document.getElementById('q'),list=document.getElementById('suggestions'),t,last='';
q.addEventListener('input',function(){clearTimeout(t);var v=q.value.trim();if(!v||v===last)return;
t=setTimeout(function(){last=v;fetch('/api/v1/merchants/suggest?q='+encodeURIComponent(v)).then(function(r){return r.ok?r.json():{suggestions:[]}}).then(function(d){
list.textContent='';d.suggestions.forEach(function(s){var o=document.createElement('option');o.value=s.sign_name||s.name;o.label=s.name+' · '+s.street;list.appendChild(o);});}).catch(function(){});},150);});})();
